import pytest

import klein_model
from klein_model.testing import make_tiny_model


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny", hidden=32, layers=2)


@pytest.fixture(scope="session")
def tiny(tiny_folder):
    return klein_model.load(tiny_folder, precision="float32")
