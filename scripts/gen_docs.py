#!/usr/bin/env python3
"""Regenerate man/perplex.1, docs/cli.md, completions/* and the tables in the docs from the code.

python scripts/gen_docs.py [--check]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perplex_cli.reference.generate import main

sys.exit(main())
