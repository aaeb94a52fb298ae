//! The hashes an EVTX chunk uses to fill its tables, and a stable hash that
//! derives deterministic GUIDs from text.

/// The MS-EVEN6 name hash: `h = h * 65599 + unit` over the UTF-16 code units,
/// wrapping at 32 bits.
pub fn name_hash(name: &str) -> u32 {
    name.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(65599).wrapping_add(u32::from(unit))
    })
}

/// The string-table bucket (of 64) of a name.
pub fn name_bucket(name: &str) -> usize {
    (name_hash(name) % 64) as usize
}

/// The template-table bucket (of 32) of a template GUID: the name hash taken
/// over the GUID's bytes read as eight little-endian 16-bit units.
pub fn template_bucket(guid: &[u8; 16]) -> usize {
    let h = guid.chunks_exact(2).fold(0u32, |h, pair| {
        h.wrapping_mul(65599)
            .wrapping_add(u32::from(u16::from_le_bytes([pair[0], pair[1]])))
    });
    (h % 32) as usize
}

/// 16 bytes derived from `text` with two differently seeded FNV-1a passes:
/// stable across runs and platforms, so generated files are reproducible.
pub fn stable_guid(text: &str) -> [u8; 16] {
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&fnv(0xCBF2_9CE4_8422_2325).to_le_bytes());
    out[8..].copy_from_slice(&fnv(0x8422_2325_CBF2_9CE4).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hash_matches_the_documented_vectors() {
        assert_eq!(name_hash("Event"), 0xF304_0CBA);
        assert_eq!(name_hash("System"), 0x6B30_546F);
        assert_eq!(name_hash("Provider"), 0x87C6_7BF1);
        assert_eq!(name_hash("EventData"), 0x693C_8244);
        assert_eq!(name_bucket("Event"), 58);
        assert_eq!(name_bucket("Data"), 10);
        assert_eq!(name_bucket("xmlns"), 60);
    }

    #[test]
    fn crc32_is_the_ieee_polynomial() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn stable_guid_depends_only_on_text() {
        assert_eq!(stable_guid("a"), stable_guid("a"));
        assert_ne!(stable_guid("a"), stable_guid("b"));
        assert!(template_bucket(&stable_guid("a")) < 32);
    }
}
