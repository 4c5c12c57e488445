#!/usr/bin/env python3
"""pycocotools as the oracle of hrprep's COCO keypoint evaluation.

  coco_oracle.py generate   writes the cases (<case>_gt.json, <case>_results.json) and expected.json,
                            the 10 COCOeval keypoint numbers of every case
  coco_oracle.py evaluate   prints those numbers for the case files as they are (JSON on stdout)

The cases cover what the golden fixture does not: crowd regions, people without keypoints, ground
truth with no labelled joint, more than 20 results in an image, equal scores, no results at all,
and area ranges with no ground truth. Needs numpy and pycocotools (PyPI).
"""
import contextlib, io, json, os, sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["mixed", "crowd", "no_keypoints", "no_visible_joint", "many_results", "score_ties", "empty", "small_only"]


def person(rng, cx, cy, size, vis=None):
    kp = []
    for j in range(17):
        x = cx + rng.uniform(-0.5, 0.5) * size
        y = cy + rng.uniform(-0.9, 0.9) * size
        v = int(rng.choice([0, 1, 2], p=[0.15, 0.25, 0.6])) if vis is None else vis
        kp += [round(x, 2), round(y, 2), v] if v > 0 or vis == 0 else [0, 0, 0]
    return kp


def gt_entry(ann_id, image_id, kp, crowd=0):
    xs, ys = kp[0::3], kp[1::3]
    lab = [(x, y) for x, y, v in zip(xs, ys, kp[2::3]) if v > 0] or list(zip(xs, ys))
    x0, y0 = min(p[0] for p in lab), min(p[1] for p in lab)
    w, h = max(p[0] for p in lab) - x0 + 10, max(p[1] for p in lab) - y0 + 10
    return {"id": ann_id, "image_id": image_id, "category_id": 1, "bbox": [round(x0 - 5, 2), round(y0 - 5, 2), round(w, 2), round(h, 2)],
            "area": round(w * h * 0.6, 2), "iscrowd": crowd, "num_keypoints": sum(1 for v in kp[2::3] if v > 0), "keypoints": kp}


def noisy(rng, kp, noise, score):
    out = []
    for j in range(17):
        out += [float(kp[3 * j] + rng.normal() * noise), float(kp[3 * j + 1] + rng.normal() * noise), float(rng.uniform(0.05, 1))]
    return {"image_id": None, "category_id": 1, "keypoints": out, "score": score}


def make(name, rng):
    images, gts, dts = [], [], []
    ann = [1]

    def add_gt(image_id, kp, crowd=0, num=None):
        g = gt_entry(ann[0], image_id, kp, crowd)
        if num is not None:
            g["num_keypoints"] = num
        gts.append(g)
        ann[0] += 1
        return g

    def add_dt(image_id, kp, noise, score):
        d = noisy(rng, kp, noise, score)
        d["image_id"] = image_id
        dts.append(d)

    n_images = {"mixed": 6, "crowd": 2, "many_results": 1, "score_ties": 2, "empty": 3}.get(name, 3)
    for i in range(n_images):
        image_id = 1000 + 7 * i
        images.append({"id": image_id, "file_name": "%012d.jpg" % image_id, "width": 1280, "height": 720})
        sizes = {"small_only": [20, 28], "many_results": [150, 60, 30]}.get(name, [40, 80, 150, 300])
        people = []
        for k in range(int(rng.integers(1, 4)) if name != "many_results" else 3):
            size = sizes[k % len(sizes)] * rng.uniform(0.8, 1.2)
            kp = person(rng, rng.uniform(200, 1000), rng.uniform(150, 550), size)
            if max(kp[2::3]) == 0:
                kp[2] = 2
            people.append((add_gt(image_id, kp), size))
        if name == "crowd":
            add_gt(image_id, [0] * 51, crowd=1, num=0)
            gts[-1]["bbox"], gts[-1]["area"] = [100.0, 100.0, 400.0, 300.0], 90000.0
            for _ in range(3):
                add_dt(image_id, person(rng, 300, 250, 60), 0, float(rng.uniform(0.2, 0.9)))
        if name == "no_keypoints":
            add_gt(image_id, [0] * 51, num=0)
            gts[-1]["bbox"], gts[-1]["area"] = [600.0, 200.0, 100.0, 200.0], 15000.0
            add_dt(image_id, person(rng, 650, 300, 70), 0, 0.95)
        if name == "no_visible_joint":
            kp = person(rng, 500, 300, 60, vis=0)
            g = add_gt(image_id, kp, num=4)
            add_dt(image_id, kp, 5, 0.9)
            add_dt(image_id, person(rng, g["bbox"][0] - 80, 300, 60), 0, 0.7)
        for g, size in people:
            if name == "empty":
                continue
            reps = 9 if name == "many_results" else (1 if rng.uniform() < 0.85 else 0)
            for _ in range(reps):
                score = 0.5 if name == "score_ties" else float(np.round(rng.uniform(0.1, 1.0), 3))
                add_dt(image_id, g["keypoints"], size * rng.choice([0.002, 0.01, 0.03, 0.1]), score)
        if name not in ("empty",):
            for _ in range(int(rng.integers(0, 3)) if name != "many_results" else 5):
                score = 0.5 if name == "score_ties" else float(np.round(rng.uniform(0.05, 0.6), 3))
                add_dt(image_id, person(rng, rng.uniform(100, 1100), rng.uniform(100, 600), 50), 0, score)
    cats = [{"id": 1, "name": "person", "supercategory": "person",
             "keypoints": ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                           "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                           "left_knee", "right_knee", "left_ankle", "right_ankle"],
             "skeleton": [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
                          [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]}]
    return {"images": images, "annotations": gts, "categories": cats}, dts


def stats(case):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(os.path.join(HERE, case + "_gt.json"))
        results = json.load(open(os.path.join(HERE, case + "_results.json")))
        if results:
            dt = gt.loadRes(results)
        else:  # loadRes refuses an empty list: an empty result set made by hand
            dt = COCO()
            dt.dataset = {"images": gt.dataset["images"], "categories": gt.dataset["categories"], "annotations": []}
            dt.createIndex()
        e = COCOeval(gt, dt, "keypoints")
        e.params.useSegm = None
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(x) for x in e.stats]


def main():
    if sys.argv[1:] == ["generate"]:
        rng = np.random.default_rng(12)
        for case in CASES:
            gt, dts = make(case, rng)
            with open(os.path.join(HERE, case + "_gt.json"), "w") as f:
                json.dump(gt, f)
            with open(os.path.join(HERE, case + "_results.json"), "w") as f:
                json.dump(dts, f)
        import pycocotools
        expected = {"pycocotools": pycocotools.__version__ if hasattr(pycocotools, "__version__") else "2.0.x",
                    "numpy": np.__version__, "stats": {case: stats(case) for case in CASES}}
        with open(os.path.join(HERE, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
    elif sys.argv[1:] == ["evaluate"]:
        json.dump({case: stats(case) for case in CASES}, sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
