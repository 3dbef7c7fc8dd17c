from anfang.cli import console_main

console_main()
