"""Every module's DOCUMENTATION, EXAMPLES and RETURN are YAML: a colon in the middle of a
sentence ends a plain scalar, and ansible-doc and the sanity tests then see no docs."""
import glob
import os
import re

import pytest
import yaml

MODULES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules", "*.py")))


@pytest.mark.parametrize("path", MODULES, ids=[os.path.basename(p) for p in MODULES])
def test_the_documentation_blocks_are_yaml(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    for name in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        block = re.search(name + r' = r"""(.*?)"""', source, re.S)
        assert block, f"{name} is missing"
        assert yaml.safe_load(block.group(1)) is not None, f"{name} is empty"
