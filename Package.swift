// swift-tools-version: 6.1
//
// hrprep: human-pose training data (MPII → safetensors shards) and a compact HRNet trainer.
// The target list is the architecture: data flows bridges → PoseData → ShardBuild → Shards (on SafeTensors) → Training.
import Foundation
import PackageDescription

/// Optimised builds of the numeric modules: bounds checks off in kernels that index through unsafe
/// buffers anyway, and code generated for the build machine's CPU (AVX-512 on Zen 5). The binary is
/// built where it runs (`make`, CI), so host tuning is safe; see HRNet's CPU dispatch for the fallback.
/// `HRNET_TARGET_CPU` overrides the CPU (e.g. `haswell`, to build and test the non-AVX-512 path);
/// `HRNET_AVX512` tells HRNet's GEMM which micro-kernel suits the instructions generated.
let targetCPU = ProcessInfo.processInfo.environment["HRNET_TARGET_CPU"] ?? "native"
/// Whether the target CPU has the instruction-set flag `flag` (/proc/cpuinfo), or for a named CPU
/// whether it is one of `cpus`.
func targetHas(_ flag: String, cpus: [String]) -> Bool {
    if targetCPU != "native" { return cpus.contains(targetCPU) }
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    return cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?
        .split(separator: " ").contains(Substring(flag)) ?? false
}
let buildsAVX512 = targetHas("avx512f", cpus: ["znver4", "znver5", "skylake-avx512", "icelake-server", "sapphirerapids"])
/// SHA-256 instructions: SafeTensors hashes shards with them (5× the portable Swift code).
let buildsSHA = targetHas("sha_ni", cpus: ["znver1", "znver2", "znver3", "znver4", "znver5", "icelake-server", "sapphirerapids", "goldmont"])
let kernelSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-target-cpu", targetCPU]),
] + (buildsAVX512 ? [.define("HRNET_AVX512")] : [])
/// Modules that read untrusted input (the safetensors header, the manifest, annotation JSON, ground
/// truth, images' headers) keep Swift's bounds and overflow checks: the same code generation, `-O`.
/// Only the modules that are numeric kernels alone, HRNet and AffineCrop, are built `-Ounchecked`.
let checkedSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-target-cpu", targetCPU]),
]

/// Open MPI's headers, where Debian's libopenmpi-dev puts them (the multiarch `mpi` alternative).
#if arch(arm64)
let mpiInclude = "/usr/include/aarch64-linux-gnu/mpi"
#else
let mpiInclude = "/usr/include/x86_64-linux-gnu/mpi"
#endif

let package = Package(
    name: "hrprep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hrprep", targets: ["hrprep"]),
        .executable(name: "hrnet-train", targets: ["hrnet-train"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: Bridges (thin: they only expose C libraries to Swift)
        .target(
            name: "COpenCVBridge",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-std=c++17"])],
            linkerSettings: [
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_imgcodecs"), .linkedLibrary("jpeg"),
            ]),
        .systemLibrary(name: "CZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),  // Benchmarks' GEMM comparison only
        .target(name: "CMPI", cSettings: [.unsafeFlags(["-I" + mpiInclude])], linkerSettings: [.linkedLibrary("mpi")]),

        // MARK: Libraries
        .target(name: "ExperimentConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "AffineCrop", swiftSettings: kernelSwiftSettings),
        .target(name: "PoseData", dependencies: ["COpenCVBridge", "CZip", "AffineCrop", .product(name: "Yams", package: "Yams")],
                swiftSettings: checkedSwiftSettings),
        .target(name: "SafeTensors", swiftSettings: checkedSwiftSettings + (buildsSHA ? [.define("SHA_NI")] : [])),
        .target(name: "Shards", dependencies: ["SafeTensors"], swiftSettings: checkedSwiftSettings),
        .target(name: "HRNet", dependencies: ["ExperimentConfig", "SafeTensors"], swiftSettings: kernelSwiftSettings),
        .target(name: "PoseEval", dependencies: ["PoseData"], swiftSettings: checkedSwiftSettings),
        .target(name: "Render", dependencies: ["COpenCVBridge", "PoseData", "Shards"]),
        .target(name: "Fixtures", dependencies: ["Render", "PoseData", "CZip"]),
        .target(name: "ShardBuild", dependencies: ["PoseData", "Shards", "ExperimentConfig"]),
        .target(name: "MessagePassing", dependencies: ["CMPI"]),
        .target(name: "Training", dependencies: ["HRNet", "SafeTensors", "Shards", "PoseData", "PoseEval", "ExperimentConfig", "Render", "MessagePassing"]),
        .target(name: "Fuzzing", dependencies: ["Shards", "PoseData", "ExperimentConfig"]),
        .target(name: "Benchmarks", dependencies: ["HRNet", "ShardBuild", "PoseData", "AffineCrop", "ExperimentConfig", "COpenCVBridge", "CBLAS"]),

        // MARK: Executables (thin ArgumentParser commands)
        .executableTarget(name: "hrprep", dependencies: [
            "ShardBuild", "Shards", "Render", "ExperimentConfig", "Fixtures", "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hrprep-fuzz", dependencies: [
            "Fuzzing", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hrnet-train", dependencies: [
            "Training", "HRNet", "ExperimentConfig", "Benchmarks", "MessagePassing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests (one target per module; GoldenFiles locates the reference outputs)
        .target(name: "GoldenFiles", dependencies: ["SafeTensors"], path: "Tests/GoldenFiles",
                exclude: ["Golden"]),
        .testTarget(name: "ExperimentConfigTests", dependencies: ["ExperimentConfig"]),
        .testTarget(name: "PoseDataTests", dependencies: ["PoseData", "AffineCrop", "Benchmarks", "GoldenFiles"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards"]),
        .testTarget(name: "HRNetTests", dependencies: ["HRNet", "ExperimentConfig", "SafeTensors", "GoldenFiles"]),
        .testTarget(name: "PoseEvalTests", dependencies: ["PoseEval", "GoldenFiles"], exclude: ["COCOEvalCases"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Shards", "PoseData"]),
        .testTarget(name: "FixturesTests", dependencies: ["Fixtures", "Render", "PoseData", "CZip", "GoldenFiles"]),
        .testTarget(name: "ShardBuildTests", dependencies: ["ShardBuild", "GoldenFiles"]),
        .testTarget(name: "MessagePassingTests", dependencies: ["MessagePassing"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "HRNet", "Shards", "PoseData", "ExperimentConfig", "PoseEval", "GoldenFiles"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Shards", "HRNet", "GoldenFiles"]),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing"], exclude: ["FuzzRegressions"]),
    ],
    swiftLanguageModes: [.v5]
)
