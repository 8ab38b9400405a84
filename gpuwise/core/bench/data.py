"""Seeded synthetic datasets held in host memory like a real dataset, and the batches a training loop draws.

Labels come from a fixed random "teacher" so the task is learnable (the loss falls), which keeps the loop honest:
nothing can be skipped or folded away as dead work. A dataset too large for RAM is held as a subset (the timing of
a step does not depend on which samples it sees); the point is then flagged as extrapolated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gpuwise.core.bench import families
from gpuwise.core.bench.workloads import input_bytes_per_sample

if TYPE_CHECKING:
    import torch

# Share of the available RAM a dataset may take: the model, the OS and the GUI need the rest.
RAM_SHARE = 0.25


def resident_samples(spec: dict[str, Any], samples: int, available_bytes: int | None) -> int:
    """How many of ``samples`` can be held in RAM (all, unless they would not fit)."""
    if available_bytes is None:
        return samples
    cap = int(available_bytes * RAM_SHARE) // input_bytes_per_sample(spec)
    return max(1, min(samples, cap))


class SyntheticDataset:
    """``resident`` samples of inputs and labels for ``spec``, generated from ``seed`` on the host.

    ``shard=(rank, world)`` keeps every ``world``-th sample starting at ``rank`` (a DistributedSampler's split), so
    data-parallel ranks train on disjoint parts of one dataset with one teacher.
    """

    def __init__(
        self, spec: dict[str, Any], resident: int, *, seed: int = 0, shard: tuple[int, int] | None = None
    ) -> None:
        import torch

        self.spec = spec
        gen = torch.Generator().manual_seed(seed)
        x, y = families.of(spec).dataset(spec, resident, gen)
        if shard is not None and shard[1] > 1:
            rank, world = shard
            x, y = x[rank::world].clone(), y[rank::world].clone()
        self.x: torch.Tensor = x
        self.y: torch.Tensor = y
        self._gen = gen

    def __len__(self) -> int:
        return int(self.x.shape[0])


class BatchStream:
    """Endless shuffled mini-batches copied to ``device`` each step, as a real input pipeline does.

    On CUDA the host side gathers into pinned buffers (double-buffered, so a buffer is not overwritten while its
    asynchronous copy is in flight). With ``preload`` the whole resident dataset lives on the device.
    """

    def __init__(self, data: SyntheticDataset, batch_size: int, device: str, *, preload: bool = False) -> None:
        import torch

        self.device = torch.device(device)
        self.batch_size = batch_size
        self._n = len(data)
        self._cuda = self.device.type == "cuda"
        self.preload = preload and self.device.type != "cpu"
        if self.preload:
            self._x = data.x.to(self.device)
            self._y = data.y.to(self.device)
        else:
            self._x, self._y = data.x, data.y
        self._perm = torch.empty(0, dtype=torch.long)
        self._pos = 0
        self._gen = torch.Generator().manual_seed(1234)
        self._pinned: list[tuple[torch.Tensor, torch.Tensor, Any]] = []
        self._slot = 0
        if self._cuda and not self.preload:
            for _ in range(2):
                bx = torch.empty((batch_size, *data.x.shape[1:]), dtype=data.x.dtype).pin_memory()
                by = torch.empty((batch_size, *data.y.shape[1:]), dtype=data.y.dtype).pin_memory()
                self._pinned.append((bx, by, None))

    def _indices(self) -> torch.Tensor:
        import torch

        if self._pos >= self._perm.numel():
            self._perm = torch.randperm(self._n, generator=self._gen)
            self._pos = 0
        idx = self._perm[self._pos : self._pos + self.batch_size]
        self._pos += idx.numel()
        return idx

    def host_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Gather the next batch on the host (or on the device when preloaded)."""
        import torch

        idx = self._indices()
        if self.preload:
            idx = idx.to(self.device, non_blocking=True)
            return self._x.index_select(0, idx), self._y.index_select(0, idx)
        if self._pinned:
            bx, by, event = self._pinned[self._slot]
            if event is not None:
                event.synchronize()  # the copy out of this buffer two steps ago must be done
            n = idx.numel()
            torch.index_select(self._x, 0, idx, out=bx[:n])
            torch.index_select(self._y, 0, idx, out=by[:n])
            return bx[:n], by[:n]
        return self._x.index_select(0, idx), self._y.index_select(0, idx)

    def to_device(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        if self.preload or self.device.type == "cpu":
            return xb, yb
        dx = xb.to(self.device, non_blocking=True)
        dy = yb.to(self.device, non_blocking=True)
        if self._pinned:
            event = torch.cuda.Event()
            event.record()
            bx, by, _ = self._pinned[self._slot]
            self._pinned[self._slot] = (bx, by, event)
            self._slot = 1 - self._slot
        return dx, dy

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.to_device(*self.host_batch())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:
            yield self.next()


def steps_per_epoch(samples: int, batch_size: int) -> int:
    return max(1, math.ceil(samples / batch_size))
