"""The adoption's filters: the plan's items get their carried values as secret_env, the
inventory keeps the items without values (each reading the vault file's variable), and
the vault file gets the values by app name."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.flaskops.production.plugins.filter.flask_adopt import (flask_adopt_inventory, flask_adopt_items,
                                                                               flask_adopt_secrets)

PLAN = [{"port": 5000, "item": {"name": "shop", "server_names": ["web1"], "source": "host_dir",
                                "source_host_dir": "/home/ana/shop", "source_user": "ana", "module": "app:app"}},
        {"port": 5001, "item": {"name": "blog", "server_names": ["web1"], "source": "host_dir",
                                "source_host_dir": "/home/ana/blog", "source_user": "ana", "module": "blog:app"}}]
VALUED = [{"port": 5001, "env_values": {"BLOG_TITLE": "Ana"}},
          {"port": 5000, "env_values": {"SECRET_KEY": "s3cret", "DATABASE_URL": "sqlite:////home/ana/shop/shop.db"}}]


def test_each_item_gets_its_own_servers_values():
    items = flask_adopt_items(PLAN, VALUED)
    assert [i["name"] for i in items] == ["shop", "blog"]
    assert items[0]["secret_env"] == VALUED[1]["env_values"] and items[1]["secret_env"] == {"BLOG_TITLE": "Ana"}
    assert "secret_env" not in PLAN[0]["item"], "the plan's own item was changed"


def test_a_server_gone_since_the_plan_stops_the_adoption():
    with pytest.raises(AnsibleFilterError, match="port 5001 stopped between the plan and the adoption"):
        flask_adopt_items(PLAN, VALUED[1:])


def test_the_inventory_holds_no_value_and_the_secrets_file_holds_them_by_name():
    items = flask_adopt_items(PLAN, VALUED)
    kept = flask_adopt_inventory(items)
    assert kept[0]["secret_env"] == "{{ adopt_secret_env['shop'] }}"
    assert "s3cret" not in repr(kept) and kept[0]["source_host_dir"] == "/home/ana/shop"
    assert flask_adopt_secrets(items) == {"shop": VALUED[1]["env_values"], "blog": {"BLOG_TITLE": "Ana"}}
