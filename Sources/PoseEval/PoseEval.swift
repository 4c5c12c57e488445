// PoseEval: from heatmaps to predictions (arg-max, quarter-pixel post-processing, inverse affine,
// flip back and shift) and the scores of the reference (heatmap accuracy, MPII PCKh).
