// PoseData: MPII records, image sources (folder, zip), the per-sample generator, the augmentation
// transforms (half body, scale, rotation, flip), the affine crop and the Gaussian targets.
// Geometry here never touches a file; image sources never know what a joint is.
