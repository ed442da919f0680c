"""train.py's epoch log line, formatted by Python itself.

Usage: pipeline_trainlog.py
Prints tab-separated records:
  ctime <TAB> unix_seconds <TAB> time.ctime(t) <TAB> time.asctime(time.gmtime(t))
  line  <TAB> fold <TAB> epoch <TAB> lr <TAB> train <TAB> valid <TAB> acc <TAB> auc <TAB> auc20 <TAB> expected
Floats are repr'd so they reach Swift exactly.
"""
import math
import random
import time

rng = random.Random(1)

# Single- and double-digit days, leap day, year ends, the epoch, a 2038+ date.
for t in [0, 1598486400, 1600000000, 1582934400 + 3600 * 13 + 61, 1609459199, 1703980800 + 7 * 86400,
          2240524800, 1234567890, 1000000000 + 86400 * 9]:
    print("ctime", t, time.ctime(t), time.asctime(time.gmtime(t)), sep="\t")

STAMP = "Thu Aug 27 10:00:00 2020"


def line(fold, epoch, lr, train_loss, val_loss, acc, auc, auc_20):
    # train.py, run(): the same f-string with a fixed time stamp
    content = STAMP + ' ' + f'Fold {fold}, Epoch {epoch}, lr: {lr:.7f}, train loss: {train_loss:.5f}, valid loss: {(val_loss):.5f}, acc: {(acc):.4f}, auc: {(auc):.6f}, auc_20: {(auc_20):.6f}.'
    print("line", fold, epoch, *(repr(float(v)) for v in (lr, train_loss, val_loss, acc, auc, auc_20)), content, sep="\t")


line(0, 1, 3e-5, 0.912345678, 0.7654321, 83.12345, 0.9123456789, 0.93)
line(4, 15, 3.760813172726441e-06, 0.000005, 12.345675, 99.99995, 1.0, 0.5)
line(2, 2, 0.00030000000000000003, 0.125, 0.375, 50.0, float("nan"), float("nan"))  # one-class auc_20
# Values that sit on rounding boundaries in decimal (binary representation decides).
for v in [0.00000025, 0.00000035, 2.675, 1.0000005, 0.1234565, 0.9999995, 0.12345650000000001]:
    line(1, 3, v, v, v, v, v, v)
for _ in range(200):
    line(rng.randint(0, 4), rng.randint(1, 18), 10 ** rng.uniform(-7, -3), rng.uniform(0, 3), rng.uniform(0, 3),
         rng.uniform(0, 100), rng.random(), rng.random())

