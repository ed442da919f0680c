"""The original's training transform written for albumentations 2.0.8 (what a user would install today), for
`melanoma bench augment --albumentations2`: the same list, probabilities and ranges in the 2.x names
(RandomBrightness/RandomContrast -> RandomBrightnessContrast, GaussNoise's variance -> std_range,
ShiftScaleRotate -> Affine, Cutout -> CoarseDropout). Imported with PYTHONPATH pointing at a folder holding
albumentations 2.0.8 (BENCHMARKS.md says how), so the test suite's 0.4.6 stays as it is.
"""
import math

import albumentations as A


def original_transforms(image_size):
    hole = int(image_size * 0.375)
    train = A.Compose([
        A.Transpose(p=0.5),
        A.VerticalFlip(p=0.5),
        A.HorizontalFlip(p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0, p=0.75),
        A.RandomBrightnessContrast(brightness_limit=0, contrast_limit=0.2, p=0.75),
        A.OneOf([
            A.MotionBlur(blur_limit=5),
            A.MedianBlur(blur_limit=5),
            A.GaussianBlur(blur_limit=5),
            A.GaussNoise(std_range=(math.sqrt(5.0) / 255, math.sqrt(30.0) / 255)),
        ], p=0.7),
        A.OneOf([
            A.OpticalDistortion(distort_limit=1.0),
            A.GridDistortion(num_steps=5, distort_limit=1.),
            A.ElasticTransform(alpha=3),
        ], p=0.7),
        A.CLAHE(clip_limit=4.0, p=0.7),
        A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=20, val_shift_limit=10, p=0.5),
        A.Affine(translate_percent=(-0.1, 0.1), scale=(0.9, 1.1), rotate=(-15, 15), border_mode=0, p=0.85),
        A.Resize(image_size, image_size),
        A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(hole, hole), hole_width_range=(hole, hole), p=0.7),
        A.Normalize(),
    ])
    return train
