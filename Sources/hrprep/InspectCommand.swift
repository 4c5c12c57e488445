import ArgumentParser
import Foundation
import Shards

/// `hrprep inspect DIR`: what is in this shard folder?
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a shard folder: size, configuration and augmentation statistics.",
        discussion: """
        Prints samples, shards and bytes, the configuration (image and heatmap size, sigma, seed, \
        augmentation epochs), the shares of flipped, rotated and half-body samples, the scale and \
        rotation ranges, each joint's visible share and the share of zero-weight targets. A fresh \
        train build should show about 50% flipped and 60% rotated; a valid build 0% of both.

        Example: hrprep inspect shards/train --json
        """)

    @Argument(help: "Shard folder (holds manifest.json).")
    var directory: String

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func run() throws {
        let stats = ShardStatistics(try ShardSet(directory: directory))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
        } else {
            print(stats.text)
        }
    }
}
