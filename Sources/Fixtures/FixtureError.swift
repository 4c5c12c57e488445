/// The fixture could not be made or written; the message names the file or the setting.
public struct FixtureError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
