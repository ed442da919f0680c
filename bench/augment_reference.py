"""Python side of `melanoma bench augment`: the original's decode + train transform in a torch DataLoader.

Usage: augment_reference.py IMAGE_DIR IMAGE_SIZE WORKERS BATCH EPOCHS
With albumentations 2.x first on PYTHONPATH, the same list in 2.x names (bench/albu2_transforms.py).
Reads every *.jpg of IMAGE_DIR like the original MelanomaDataset (cv2.imread, BGR -> RGB, get_transforms(S)[0],
float32, HWC -> CHW) and prints one JSON line: images per second over the epochs after the first (warm-up), and
the CPU milliseconds per image of this process and its loader workers together over those epochs.
"""
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Reference"))
import numpy as np  # noqa: E402
import cv2  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from importlib.metadata import version  # noqa: E402

# Which albumentations comes first on the path, read without importing it (0.4.6 needs aug_albu's stubs first).
ALBUMENTATIONS = version("albumentations")
if ALBUMENTATIONS.startswith("2."):
    from albu2_transforms import original_transforms as albu2_train  # noqa: E402

    def original_transforms(size):
        return albu2_train(size), None
else:
    from aug_albu import original_transforms  # noqa: E402


class MelanomaImages(Dataset):
    def __init__(self, files, transform):
        self.files = files
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        image = cv2.imread(self.files[index])
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        image = self.transform(image=image)["image"].astype(np.float32)
        return torch.tensor(image.transpose(2, 0, 1))


def cpu_seconds(worker_pids):
    """User + system CPU seconds of this process (all threads) and of the worker processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in worker_pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15)
    return total


def main():
    folder, size, workers, batch, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    train, _ = original_transforms(size)
    loader = DataLoader(MelanomaImages(files, train), batch_size=batch, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, drop_last=False)
    torch.manual_seed(0)
    times = []
    pids = []
    for epoch in range(epochs):
        start, cpu = time.perf_counter(), cpu_seconds(pids)
        n = 0
        it = iter(loader)
        for x in it:
            n += x.shape[0]
        # The persistent workers start with the first epoch; later epochs count them from start to end.
        pids = [w.pid for w in getattr(it, "_workers", [])]
        times.append((time.perf_counter() - start, n, cpu_seconds(pids) - cpu if epoch > 0 else 0.0))
    measured = times[1:] or times
    seconds = sum(t for t, _, _ in measured)
    images = sum(k for _, k, _ in measured)
    cpu = sum(c for _, _, c in measured)
    print(json.dumps({"images_per_s": images / seconds, "images": images, "seconds": seconds,
                      "cpu_ms_per_image": cpu * 1000 / images,
                      "cv2": cv2.__version__, "cv2_threads": cv2.getNumThreads(),
                      "albumentations": ALBUMENTATIONS,
                      "glibc_tunables": os.environ.get("GLIBC_TUNABLES", "")}))


if __name__ == "__main__":
    main()
