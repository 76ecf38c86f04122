import os

import pytest

# Tests never write into the user's real data/cache dirs.
@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    if "HOLOCHAT_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("HOLOCHAT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def one_torch_thread():
    """Model tests run on one torch thread: deterministic and no slower on
    the 2-core CI machine (use with ``pytest.mark.usefixtures``)."""
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def pytest_collection_modifyitems(config, items):
    try:
        import torch
        has_cuda = torch.cuda.is_available()
    except Exception:
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
