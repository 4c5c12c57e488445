import ArgumentParser
import MessagePassing
import Training

/// How a training step is split: the ranks of `mpirun -np N hrnet-train train …` (no flag
/// needed), or micro-batches in one process.
struct DataParallelArguments: ParsableArguments {
    @Option(help: """
        Split every batch into N micro-batches in this process, each with its own BN statistics: the steps `mpirun \
        -np N` takes, on one machine.
        """)
    var microBatches = 1

    @Flag(help: """
        Add the ranks' (or micro-batches') gradients in order, rank by rank, instead of in MPI_Allreduce's order: N \
        ranks then give the bits of --micro-batches N.
        """)
    var deterministicReduce = false

    @Flag(help: """
        Batch-norm statistics of the whole global batch under mpirun (SyncBatchNorm): every rank normalises \
        with the mean and variance of all ranks' items, as one process with the global batch. Worth it when a \
        rank's slice is small (a few images); costs two small sums per BN layer and step.
        """)
    var syncBn = false

    @Option(help: """
        Megabytes of gradients per allreduce under mpirun: each bucket is sent as soon as backward has finished it, \
        overlapping the rest of backward.
        """)
    var bucketMb = 4.0

    func apply(to options: inout TrainingOptions) {
        options.microBatches = microBatches
        options.deterministicReduce = deterministicReduce
        options.syncBatchNorm = syncBn
        options.allreduceBucketFloats = Int(bucketMb * 1e6 / 4)
        options.cluster = Cluster.shared
    }

    /// Runs `body` as this rank's part of the job: an error on any rank ends every rank (the
    /// others would wait in their next reduction), and MPI is left cleanly after success.
    /// Returns nil on ranks other than 0, which print nothing.
    static func run<T>(_ cluster: Cluster, _ body: () throws -> T) rethrows -> T? {
        let result: T
        do { result = try body() } catch where cluster.isDistributed {
            cluster.abort("\(error)")
        }
        cluster.finish()
        return cluster.isRoot ? result : nil
    }
}
