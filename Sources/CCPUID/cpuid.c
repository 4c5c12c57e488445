#include "hr_cpuid.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// XCR0: which register states the OS saves on a context switch (bit 1 xmm, 2 ymm, 5–7 opmask
/// and zmm). Plain asm: the `_xgetbv` intrinsic needs the xsave target feature at compile time.
static unsigned long long xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

unsigned hr_cpu_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned c1 = c;
    // Leaf 1 ecx: SSE3 0, SSSE3 9, FMA 12, CX16 13, SSE4.1 19, SSE4.2 20, MOVBE 22, POPCNT 23,
    // OSXSAVE 27, AVX 28, F16C 29.
    const unsigned v2 = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23);
    const unsigned v3 = v2 | (1u << 12) | (1u << 22) | (1u << 27) | (1u << 28) | (1u << 29);
    unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    if (__get_cpuid_max(0, 0) >= 7) __cpuid_count(7, 0, a7, b7, c7, d7);
    unsigned ext = 0;
    if (__get_cpuid_max(0x80000000u, 0) >= 0x80000001u) {
        unsigned ea, eb, ec, ed;
        __cpuid(0x80000001u, ea, eb, ec, ed);
        ext = ec;
    }
    unsigned features = 0;
    // Leaf 7 ebx: BMI1 3, AVX2 5, BMI2 8, AVX512F 16, AVX512DQ 17, AVX512CD 28, SHA 29,
    // AVX512BW 30, AVX512VL 31. Leaf 0x80000001 ecx: LZCNT (ABM) 5.
    const unsigned b7v3 = (1u << 3) | (1u << 5) | (1u << 8);
    const unsigned b7v4 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    const int osYMM = (c1 & (1u << 27)) && (xcr0() & 0x6) == 0x6;
    const int osZMM = osYMM && (xcr0() & 0xe6) == 0xe6;
    if ((c1 & v3) == v3 && (b7 & b7v3) == b7v3 && (ext & (1u << 5)) && osYMM) {
        features |= HR_CPU_X86_64_V3;
        if ((b7 & b7v4) == b7v4 && osZMM) features |= HR_CPU_X86_64_V4;
    }
    if ((b7 & (1u << 29)) && (c1 & (1u << 9)) && (c1 & (1u << 19))) features |= HR_CPU_SHA;
    (void)a7; (void)c7; (void)d7;
    return features;
}
#else
unsigned hr_cpu_features(void) { return 0; }
#endif
