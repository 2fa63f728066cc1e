from podrender.runner.launch import main

main()
