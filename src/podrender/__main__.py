from podrender.cli import main

main()
