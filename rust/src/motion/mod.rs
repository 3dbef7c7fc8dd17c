//! Motion kernels: frame differencing, binary morphology, labelling, background models, shake.
//!
//! Everything here is plain Rust on slices (row-major, contiguous); the PyO3 layer in
//! `crate::py::motion` validates arguments before calling in, so kernels may assume
//! consistent lengths (they still use bounds-checked indexing: a bug panics, never UB).

pub mod background;
pub mod bgstep;
pub mod bits;
pub mod diff;
pub mod label;
pub mod morph;
pub mod pool;
pub mod shake;
pub mod stage;

/// BT.601 integer luma, identical to `anfang.frames.to_gray`.
#[inline(always)]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8
}

/// Convert an interleaved RGB buffer to luma.
pub fn rgb_to_luma(rgb: &[u8], out: &mut [u8]) {
    for (o, p) in out.iter_mut().zip(rgb.chunks_exact(3)) {
        *o = luma(p[0], p[1], p[2]);
    }
}

/// Run `f` with AVX2 enabled for autovectorisation when the CPU has it.
#[macro_export]
macro_rules! avx2_dispatch {
    ($(#[$m:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
