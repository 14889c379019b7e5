from wangdi.cli import main

main()
