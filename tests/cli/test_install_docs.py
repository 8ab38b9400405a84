"""The README's two install lines stay one command each and differ only by PyTorch's CPU index."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_the_cpu_only_install_is_the_gpu_install_plus_the_cpu_index() -> None:
    blocks = _bash_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    gpu = blocks[0]
    cpu = next(b for b in blocks if CPU_INDEX in b)
    assert "\n" not in gpu and "\n" not in cpu  # one command each
    assert gpu.endswith("pip install . && gpuwise")
    assert cpu == gpu.replace("pip install . ", f"pip install . --extra-index-url {CPU_INDEX} ")


def test_the_bundle_builds_from_the_same_cpu_index() -> None:
    script = (REPO / "packaging" / "build.sh").read_text(encoding="utf-8")
    assert f'TORCH_INDEX="${{TORCH_INDEX-{CPU_INDEX}}}"' in script
