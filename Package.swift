// swift-tools-version: 6.1
//
// hrprep: human-pose training data (MPII → safetensors shards) and a compact HRNet trainer.
// The target list is the architecture: data flows bridges → PoseData → ShardBuild → Shards (on SafeTensors) → Training.
import Foundation
import PackageDescription

/// Optimised builds of the numeric modules: bounds checks off in kernels that index through unsafe
/// buffers anyway. Everything is compiled for the x86-64 baseline, so one binary runs on every
/// x86-64 CPU; the kernels that gain from wider instructions are compiled again, from the same
/// sources, for x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512) in modules of their own
/// (`isaSettings`), and `InstructionSets` picks one at run time from cpuid.
let kernelSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]
/// Modules that read untrusted input (the safetensors header, the manifest, annotation JSON, ground
/// truth, images' headers) keep Swift's bounds and overflow checks: the same code generation, `-O`.
/// Only the modules that are numeric kernels alone (HRNet, AffineCrop and the per-ISA kernel
/// modules) are built `-Ounchecked`.
let checkedSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-wmo"], .when(configuration: .release)),
]
/// A per-ISA kernel module's settings: code generation for the x86-64 micro-architecture `level`
/// (`-march=x86-64-v3`: the Swift and C code of the module may use AVX2, FMA, BMI; `-v4` adds
/// AVX-512), and `defines` for the kernel shapes that suit it. Only on x86-64 hosts; elsewhere
/// only the portable variant runs and these modules are unused.
func isaSettings(_ level: String, _ defines: [String] = []) -> [SwiftSetting] {
    #if arch(x86_64)
    let cpu: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=" + level])]
    #else
    let cpu: [SwiftSetting] = []
    #endif
    return kernelSwiftSettings + cpu + defines.map { .define($0) }
}

/// SHA-256 instructions for the intrinsics in SafeTensors' hasher, used only where cpuid reports them.
#if arch(x86_64)
let shaSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-msha"])]
#else
let shaSettings: [SwiftSetting] = []
#endif

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

        .target(name: "CCPUID"),  // cpuid and xgetbv: which instruction sets this CPU and OS support

        // MARK: Instruction-set variants (one source, compiled per x86-64 level; see isaSettings)
        .target(name: "InstructionSets", dependencies: ["CCPUID"]),
        .target(name: "GEMMKernels", swiftSettings: kernelSwiftSettings),
        .target(name: "GEMMKernelsAVX2", swiftSettings: isaSettings("x86-64-v3", ["GEMM_FMA"])),
        .target(name: "GEMMKernelsAVX512", swiftSettings: isaSettings("x86-64-v4", ["GEMM_FMA", "GEMM_TILE_8X32"])),
        .target(name: "VectorKernels", swiftSettings: kernelSwiftSettings),
        .target(name: "VectorKernelsAVX2", swiftSettings: isaSettings("x86-64-v3")),
        .target(name: "VectorKernelsAVX512", swiftSettings: isaSettings("x86-64-v4")),
        .target(name: "CropBlend", swiftSettings: kernelSwiftSettings),
        .target(name: "CropBlendAVX2", swiftSettings: isaSettings("x86-64-v3")),

        // MARK: Libraries
        .target(name: "ExperimentConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "AffineCrop", dependencies: ["InstructionSets", "CropBlend", "CropBlendAVX2"], swiftSettings: kernelSwiftSettings),
        .target(name: "PoseData", dependencies: ["COpenCVBridge", "CZip", "AffineCrop", .product(name: "Yams", package: "Yams")],
                swiftSettings: checkedSwiftSettings),
        .target(name: "SafeTensors", dependencies: ["InstructionSets"], swiftSettings: checkedSwiftSettings + shaSettings),
        .target(name: "Shards", dependencies: ["SafeTensors"], swiftSettings: checkedSwiftSettings),
        .target(name: "HRNet", dependencies: ["ExperimentConfig", "SafeTensors", "InstructionSets",
                                             "GEMMKernels", "GEMMKernelsAVX2", "GEMMKernelsAVX512",
                                             "VectorKernels", "VectorKernelsAVX2", "VectorKernelsAVX512"],
                swiftSettings: kernelSwiftSettings),
        .target(name: "PoseEval", dependencies: ["PoseData"], swiftSettings: checkedSwiftSettings),
        .target(name: "Render", dependencies: ["COpenCVBridge", "PoseData", "Shards"]),
        .target(name: "Fixtures", dependencies: ["Render", "PoseData", "CZip"]),
        .target(name: "ShardBuild", dependencies: ["PoseData", "Shards", "ExperimentConfig"]),
        .target(name: "MessagePassing", dependencies: ["CMPI"]),
        .target(name: "Training", dependencies: ["HRNet", "SafeTensors", "Shards", "PoseData", "PoseEval", "ExperimentConfig", "Render", "MessagePassing"]),
        .target(name: "Fuzzing", dependencies: ["Shards", "PoseData", "ExperimentConfig"]),
        .target(name: "Benchmarks", dependencies: ["HRNet", "InstructionSets", "ShardBuild", "PoseData", "AffineCrop", "ExperimentConfig", "COpenCVBridge", "CBLAS"]),

        // MARK: Executables (thin ArgumentParser commands)
        .executableTarget(name: "hrprep", dependencies: [
            "ShardBuild", "InstructionSets", "Shards", "Render", "ExperimentConfig", "Fixtures", "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hrprep-fuzz", dependencies: [
            "Fuzzing", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hrnet-train", dependencies: [
            "Training", "HRNet", "ExperimentConfig", "Benchmarks", "InstructionSets", "MessagePassing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests (one target per module; GoldenFiles locates the reference outputs)
        .target(name: "GoldenFiles", dependencies: ["SafeTensors"], path: "Tests/GoldenFiles",
                exclude: ["Golden"]),
        .testTarget(name: "InstructionSetsTests", dependencies: ["InstructionSets"]),
        .testTarget(name: "VectorKernelsTests", dependencies: [  // through HRNet's view of the variants, ChunkKernels
            "VectorKernels", "VectorKernelsAVX2", "VectorKernelsAVX512", "InstructionSets", "HRNet", "ExperimentConfig"]),
        .testTarget(name: "ExperimentConfigTests", dependencies: ["ExperimentConfig"]),
        .testTarget(name: "PoseDataTests", dependencies: ["PoseData", "AffineCrop", "Benchmarks", "GoldenFiles"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards"]),
        .testTarget(name: "HRNetTests", dependencies: ["HRNet", "InstructionSets", "ExperimentConfig", "SafeTensors", "GoldenFiles"]),
        .testTarget(name: "PoseEvalTests", dependencies: ["PoseEval", "GoldenFiles"], exclude: ["COCOEvalCases"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Shards", "PoseData"]),
        .testTarget(name: "FixturesTests", dependencies: ["Fixtures", "Render", "PoseData", "CZip", "GoldenFiles"]),
        .testTarget(name: "ShardBuildTests", dependencies: ["ShardBuild", "GoldenFiles"]),
        .testTarget(name: "MessagePassingTests", dependencies: ["MessagePassing"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "InstructionSets", "HRNet", "Shards", "PoseData", "ExperimentConfig", "PoseEval", "GoldenFiles"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Shards", "HRNet", "GoldenFiles"]),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing"], exclude: ["FuzzRegressions"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "PoseData", "ExperimentConfig", "GoldenFiles"]),
    ],
    swiftLanguageModes: [.v5]
)
