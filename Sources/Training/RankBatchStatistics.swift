import HRNet
import MessagePassing

/// SyncBatchNorm's sums over the ranks of an MPI job: the seam between HRNet's batch norm, which
/// knows nothing of MPI, and the cluster. `share` is set by the step before each slice.
final class RankBatchStatistics: BatchStatisticsReducer {
    let cluster: Cluster
    var share = 1.0

    init(cluster: Cluster) { self.cluster = cluster }

    /// One MPI_Allreduce of the layer's per-channel sums (time counted as allreduce wait).
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) { cluster.sum(values, count: count) }
}
