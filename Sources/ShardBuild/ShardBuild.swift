// ShardBuild: the build-shards job — records → samples (PoseData) → shards (Shards) with threads,
// reproducible per-sample draws, decode-once caching, resume and progress.
