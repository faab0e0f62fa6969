import sys

from seamwatch.cli import main

sys.exit(main())
