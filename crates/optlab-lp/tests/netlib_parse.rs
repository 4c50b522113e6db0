//! Manual check (ignored in CI): every netlib file in `OPTLAB_NETLIB` (default
//! `../../../shared/data/netlib`) parses, and the writer round-trips it.

use optlab_lp::{parse_mps, read_mps_file, to_mps_string, MpsFormat};

#[test]
#[ignore = "needs the netlib data directory"]
fn netlib_files_parse_and_round_trip() {
    let dir =
        std::env::var("OPTLAB_NETLIB").unwrap_or_else(|_| "../../../shared/data/netlib".into());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("netlib dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".mps.gz"))
    {
        let p = read_mps_file(path, MpsFormat::Auto)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!(
            "{:12} rows {:6} cols {:6} nnz {:7}",
            p.name,
            p.num_rows(),
            p.num_cols(),
            p.a.nnz()
        );
        let q = parse_mps(&to_mps_string(&p), MpsFormat::Free).expect("round trip parses");
        assert_eq!(
            (&p.a, &p.obj, &p.row_lower, &p.col_upper),
            (&q.a, &q.obj, &q.row_lower, &q.col_upper)
        );
    }
}
