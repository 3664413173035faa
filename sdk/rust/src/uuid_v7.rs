//! UUIDv7 event ids (RFC 9562), made here because Debian's `uuid` 1.2 hides `now_v7` behind an
//! unstable cfg flag.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;
use uuid::Uuid;

/// Last (milliseconds, sequence) handed out, so ids made in one process sort in creation order
/// even within one millisecond or when the wall clock steps back.
static LAST: Mutex<(u64, u16)> = Mutex::new((0, 0));

/// A new UUIDv7: 48 bits of Unix milliseconds, a 12-bit sequence in `rand_a` (RFC 9562 method 1)
/// and 62 random bits.
pub(crate) fn new_v7() -> Uuid {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let (ms, seq) = next_stamp(now_ms);

    let mut random = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut random);
    from_parts(ms, seq, random)
}

fn next_stamp(now_ms: u64) -> (u64, u16) {
    // A poisoned lock only means another thread panicked mid-update of two integers; the
    // value is still usable.
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    *last = advance(*last, now_ms);
    *last
}

/// The stamp after `last` at wall-clock time `now_ms`: never equal to or before `last`.
fn advance((last_ms, last_seq): (u64, u16), now_ms: u64) -> (u64, u16) {
    if now_ms > last_ms {
        (now_ms, 0)
    } else if last_seq < 0x0fff {
        (last_ms, last_seq + 1)
    } else {
        // 4096 ids in one millisecond: borrow the next millisecond rather than repeat.
        (last_ms + 1, 0)
    }
}

fn from_parts(ms: u64, seq: u16, random: [u8; 8]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6] = 0x70 | ((seq >> 8) as u8 & 0x0f);
    bytes[7] = seq as u8;
    bytes[8..].copy_from_slice(&random);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn sets_version_and_variant() {
        let id = new_v7();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn encodes_the_unix_milliseconds_up_front() {
        let id = from_parts(0x0123_4567_89ab, 0x0def, [0xff; 8]);
        assert_eq!(id.to_string(), "01234567-89ab-7def-bfff-ffffffffffff");
    }

    #[test]
    fn is_unique_and_ordered_within_a_process() {
        let ids: Vec<String> = (0..20_000).map(|_| new_v7().to_string()).collect();
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn never_goes_back_when_the_clock_does() {
        assert_eq!(advance((1000, 5), 999), (1000, 6));
        assert_eq!(advance((1000, 5), 1000), (1000, 6));
        assert_eq!(advance((1000, 5), 1001), (1001, 0));
    }

    #[test]
    fn borrows_the_next_millisecond_when_the_sequence_is_spent() {
        assert_eq!(advance((1000, 0x0fff), 1000), (1001, 0));
    }
}
