// Training: streams shards into batches, runs HRNet steps, validates (PoseEval), checkpoints and
// resumes, and writes metrics people can look at.
