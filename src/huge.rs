//! Tables the simulator reads at random (LRU's table of dense ids) allocated so that
//! the kernel may back them with transparent huge pages. A table of a million samples
//! spans thousands of 4 KiB pages, more than the CPU's TLB covers, so nearly every
//! random read also walks the page table; 2 MiB pages remove most of those walks. On
//! Linux the allocation is advised with `madvise(MADV_HUGEPAGE)` before it is first
//! written (systems set to `madvise` mode, the usual default, then give it huge pages);
//! elsewhere, or if the advice is refused, it is an ordinary allocation. Contents and
//! results never depend on it.

/// Tables smaller than this stay ordinary allocations (a huge page is 2 MiB).
const MIN_BYTES: usize = 4 << 20;

/// A vector of `n` copies of `fill`, advised for huge pages when large.
pub fn table<T: Clone>(n: usize, fill: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    advise(&mut v);
    v.resize(n, fill);
    v
}

/// Advises the unused capacity of `v` (not yet written, so not yet faulted in).
fn advise<T>(v: &mut Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes >= MIN_BYTES {
        advise_range(v.as_mut_ptr() as usize, bytes);
    }
}

#[cfg(target_os = "linux")]
fn advise_range(start: usize, bytes: usize) {
    const PAGE: usize = 4096;
    // madvise wants a page-aligned start: advise the whole pages inside the range.
    let first = start.div_ceil(PAGE) * PAGE;
    let end = (start + bytes) / PAGE * PAGE;
    if end > first {
        // SAFETY: the range lies inside an allocation this process owns; MADV_HUGEPAGE
        // only changes how the kernel backs it, never its contents. A refusal (an
        // error return) leaves an ordinary allocation, which is fine.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _bytes: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn tables_hold_what_was_asked() {
        let t = super::table(3 << 20, 7u32);
        assert_eq!(t.len(), 3 << 20);
        assert!(t.iter().all(|&x| x == 7));
    }
}
