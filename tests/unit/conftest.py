"""Unit tests import the collection as Ansible does, from collections/ (a link to the
repository), so modules and module_utils load by their full names without installing."""
import os
import sys

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", "collections")

_AnsibleCollectionFinder(paths=[os.path.abspath(COLLECTIONS)])._install()
sys.dont_write_bytecode = True
