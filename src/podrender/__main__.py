from podrender.launch import main

main()
