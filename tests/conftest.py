import os
import shutil
import tempfile

# Tests never reach a model hub; make any accidental attempt fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Exported int8 graphs (klein_model/onnx_int8.py) go to a folder of this run, shared by its subprocesses,
# never to the user's cache.
if "KLEIN_CACHE_DIR" not in os.environ:
    os.environ["KLEIN_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="klein-test-cache-")
else:
    _CACHE = None


def pytest_sessionfinish(session, exitstatus):
    if _CACHE:
        shutil.rmtree(_CACHE, ignore_errors=True)
