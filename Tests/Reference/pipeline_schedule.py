"""The original's LR per epoch, by stepping torch's real CosineAnnealingWarmRestarts under a copy of
the warm-up scheduler exactly as train.py does.

Usage: pipeline_schedule.py EXTRA INIT_LR:N_EPOCHS [INIT_LR:N_EPOCHS ...]
Prints "INIT_LR:N_EPOCHS<TAB>epoch<TAB>lr" (lr repr'd) for epochs 1 .. N_EPOCHS + EXTRA of each
setting (EXTRA > 0 keeps stepping past the original's last epoch, to check the restart arithmetic).

The warm-up class follows ildoonet/pytorch-gradual-warmup-lr at 6b5e895 (GradualWarmupScheduler)
with the original's util.py override of get_lr (GradualWarmupSchedulerV2, "Fix Warmup Bug"), as
described in the spec, section 4.4.
"""
import sys
import warnings

import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, ReduceLROnPlateau

try:
    from torch.optim.lr_scheduler import LRScheduler as _Base
except ImportError:  # torch < 2.0
    from torch.optim.lr_scheduler import _LRScheduler as _Base


class GradualWarmupScheduler(_Base):
    def __init__(self, optimizer, multiplier, total_epoch, after_scheduler=None):
        self.multiplier = multiplier
        if self.multiplier < 1.0:
            raise ValueError("multiplier should be greater thant or equal to 1.")
        self.total_epoch = total_epoch
        self.after_scheduler = after_scheduler
        self.finished = False
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch > self.total_epoch:
            if self.after_scheduler:
                if not self.finished:
                    self.after_scheduler.base_lrs = [b * self.multiplier for b in self.base_lrs]
                    self.finished = True
                return self.after_scheduler.get_last_lr()
            return [b * self.multiplier for b in self.base_lrs]
        if self.multiplier == 1.0:
            return [b * (float(self.last_epoch) / self.total_epoch) for b in self.base_lrs]
        return [b * ((self.multiplier - 1.0) * self.last_epoch / self.total_epoch + 1.0) for b in self.base_lrs]

    def step(self, epoch=None, metrics=None):
        if type(self.after_scheduler) != ReduceLROnPlateau:
            if self.finished and self.after_scheduler:
                if epoch is None:
                    self.after_scheduler.step(None)
                else:
                    self.after_scheduler.step(epoch - self.total_epoch)
                self._last_lr = self.after_scheduler.get_last_lr()
            else:
                return super().step(epoch)
        else:
            raise NotImplementedError("not used by the original")


class GradualWarmupSchedulerV2(GradualWarmupScheduler):
    def get_lr(self):
        if self.last_epoch > self.total_epoch:
            if self.after_scheduler:
                if not self.finished:
                    self.after_scheduler.base_lrs = [b * self.multiplier for b in self.base_lrs]
                    self.finished = True
                return self.after_scheduler.get_lr()
            return [b * self.multiplier for b in self.base_lrs]
        if self.multiplier == 1.0:
            return [b * (float(self.last_epoch) / self.total_epoch) for b in self.base_lrs]
        return [b * ((self.multiplier - 1.0) * self.last_epoch / self.total_epoch + 1.0) for b in self.base_lrs]


def schedule(key, init_lr, n_epochs, extra):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=init_lr)
    # train.py, run(): same construction order and arguments
    scheduler_cosine = CosineAnnealingWarmRestarts(optimizer, n_epochs - 1)
    scheduler_warmup = GradualWarmupSchedulerV2(optimizer, multiplier=10, total_epoch=1,
                                                after_scheduler=scheduler_cosine)
    for epoch in range(1, n_epochs + extra + 1):
        # train_epoch would run here; the logged lr is the optimizer's during this epoch
        optimizer.step()
        print(key, epoch, repr(float(optimizer.param_groups[0]["lr"])), sep="\t")
        scheduler_warmup.step()
        if epoch == 2:
            scheduler_warmup.step()  # bug workaround


warnings.simplefilter("ignore")  # get_lr outside step / step-order notices from modern torch
extra = int(sys.argv[1])
for key in sys.argv[2:]:
    lr, n = key.split(":")
    schedule(key, float(lr), int(n), extra)
