import Foundation
import SafeTensors

/// The reference's own outputs, copied from the maintainers' golden folder into
/// `Tests/GoldenFiles/Golden/` (see `Golden/README.md` there for what each file holds). Tests read
/// them from the source tree, so they run from any fresh clone.
public enum Golden {
    /// Absolute path of the copied golden folder.
    public static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path
    }()

    /// Absolute path of a file inside the golden folder, e.g. `Golden.path("hrnet_tiny/step.safetensors")`.
    public static func path(_ relative: String) -> String { directory + "/" + relative }

    /// Opens a golden safetensors file, e.g. `try Golden.open("replay.safetensors")`.
    public static func open(_ relative: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: path(relative))
    }
}
