#ifndef HR_CPUID_H
#define HR_CPUID_H

/// The instruction-set levels this CPU and its operating system support, as bits of
/// `hr_cpu_features()`. A level counts only when every feature the compiler may use for it is
/// present (the x86-64 micro-architecture levels of the psABI) and the OS saves the registers it
/// needs (XCR0, read with xgetbv): AVX state for AVX2, opmask and zmm state for AVX-512.
enum {
    /// x86-64-v3: AVX, AVX2, FMA, BMI1, BMI2, F16C, LZCNT, MOVBE, plus the v2 set (SSE3 … SSE4.2,
    /// POPCNT, CMPXCHG16B) and OS support of ymm state.
    HR_CPU_X86_64_V3 = 1 << 0,
    /// x86-64-v4: v3 plus AVX-512 F, BW, CD, DQ, VL and OS support of opmask and zmm state.
    HR_CPU_X86_64_V4 = 1 << 1,
    /// The SHA-256 instructions (sha256rnds2, sha256msg1/2) with SSSE3 and SSE4.1.
    HR_CPU_SHA = 1 << 2,
};

/// The feature bits above for the CPU running this process (0 on other architectures).
unsigned hr_cpu_features(void);

#endif
