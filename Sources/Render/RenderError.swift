import COpenCVBridge

/// A picture could not be made or written; the message names the step and, from OpenCV, why.
public struct RenderError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Size of the message buffer handed to the bridge (OpenCV messages are one or two lines).
private let errorCapacity = 512

/// Runs one bridge call with a message buffer and turns its status into a Swift result:
/// `HR_DRAW_OK` returns normally, `HR_DRAW_BUFFER_TOO_SMALL` is returned for the caller to grow
/// its buffer, anything else throws with `step` and the bridge's message.
@discardableResult
func bridge(_ step: String, _ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws -> Int32 {
    try withUnsafeTemporaryAllocation(of: CChar.self, capacity: errorCapacity) { buffer in
        buffer[0] = 0
        let status = call(buffer.baseAddress!, errorCapacity)
        if status == Int32(HR_DRAW_OK) || status == Int32(HR_DRAW_BUFFER_TOO_SMALL) { return status }
        throw RenderError("\(step): \(String(cString: buffer.baseAddress!))")
    }
}
