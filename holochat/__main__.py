import sys

from holochat.cli import main

sys.exit(main())
