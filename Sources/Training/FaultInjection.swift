import Foundation

/// Faults a test can ask a real `hrnet-train` process to suffer at an exact point, through the
/// environment variable `HRPREP_FAULT` (read once, when first needed; unset in normal use):
///
/// - `kill-during-checkpoint-write:N`: the process SIGKILLs itself when half of the state file of
///   the checkpoint at global step N is written (under its temporary name). A kill at a random
///   moment rarely lands inside that write; this one always does, so a test can prove that resume
///   then continues from the previous, complete checkpoint.
public enum FaultInjection {
    public static let variable = "HRPREP_FAULT"
    static let killDuringCheckpointWrite = "kill-during-checkpoint-write:"

    /// The global step whose checkpoint write is to be killed, if `HRPREP_FAULT` asks for one.
    static let checkpointKillStep: Int? = {
        guard let value = ProcessInfo.processInfo.environment[variable], value.hasPrefix(killDuringCheckpointWrite)
        else { return nil }
        return Int(value.dropFirst(killDuringCheckpointWrite.count))
    }()

    /// The `halfway` hook of the checkpoint write at `step`: nil unless that write is to be killed.
    static func checkpointWrite(step: Int) -> ((String) -> Void)? {
        guard checkpointKillStep == step else { return nil }
        return { _ in kill(getpid(), SIGKILL) }
    }
}
