"""`python -m ivr`: the same command as `ivr`."""

from ivr.cli import main

main()
