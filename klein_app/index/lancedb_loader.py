"""Importing lancedb without its REST namespace client.

`import lancedb` pulls in `lance_namespace`, whose REST client package (`lance_namespace_urllib3_client`)
runs an `__init__` that imports every generated API class, an HTTP client (urllib3) and every model: about
half of lancedb's import time (≈2 s of 4 s on a loaded 2-core machine, measured with `python -X importtime`),
for a REST service a local index never talks to. Only the package's `models` submodule is needed to define
the namespace types. So the package's `__init__` is deferred: the package object is registered with its
real path (its submodules import as usual) and runs its `__init__` the first time anyone reads a name that
only the `__init__` defines. Nothing changes for code that does use the REST client; it just pays later.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

_REST_CLIENT = "lance_namespace_urllib3_client"
_lock = threading.Lock()


def import_lancedb():
    """`import lancedb`, with the REST client's package `__init__` deferred to first use."""
    with _lock:
        if "lancedb" not in sys.modules:
            _defer_package_init(_REST_CLIENT)
    import lancedb

    return lancedb


def _defer_package_init(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return  # not installed, or not a package: nothing to defer
    module = importlib.util.module_from_spec(spec)
    state = {"done": False}

    def __getattr__(attr: str):
        if attr.startswith("__") or state["done"]:
            raise AttributeError(attr)
        state["done"] = True
        del module.__dict__["__getattr__"]
        spec.loader.exec_module(module)  # the real __init__, into the same module object
        return getattr(module, attr)

    module.__getattr__ = __getattr__
    sys.modules[name] = module
