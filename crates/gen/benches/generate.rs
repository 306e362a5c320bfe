//! Throughput of generating, serializing and signing payloads, per kind, with baselines measured
//! on the same bytes in the same run:
//!
//! - `generate+serialize+sign`: what `fire` does per payload (build, serialize once, sign);
//! - `generate`: building the typed payload only;
//! - `serialize+sign`: the ceiling (a prebuilt typed payload serialized and signed);
//! - `serialize`: serialize-only baseline;
//! - `sign`: sign-only baseline (HMAC-SHA256 over the body bytes).
//!
//! `cargo bench -p veriff-mock-gen -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use veriff_mock_contract::{Kind, SharedSecret, sign};
use veriff_mock_gen::{Generator, serialize_into};

/// How many distinct payloads each variant cycles through.
const SET: u64 = 256;

fn bench(c: &mut Criterion) {
    let secret = match SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345") {
        Ok(s) => s,
        Err(e) => panic!("test secret: {e}"),
    };
    for kind in Kind::ALL {
        let generator = Generator::from_seed(42).kind(kind);
        let mut group = c.benchmark_group(kind.name());
        group.throughput(Throughput::Elements(1));
        // Every variant cycles through the same SET payloads (indices 0..SET), so the baselines
        // serialize and sign exactly the bytes the full pipeline produces.
        let webhooks: Vec<_> = (0..SET).map(|i| generator.webhook(i)).collect();
        let bodies: Vec<Vec<u8>> = (0..SET)
            .map(|i| generator.payload(i).body.to_vec())
            .collect();
        let mut buf = Vec::with_capacity(4096);
        let mut index = 0u64;
        group.bench_function("generate+serialize+sign", |b| {
            b.iter(|| {
                index = (index + 1) % SET;
                let _ = generator.write_body(index, &mut buf);
                black_box(sign(&secret, &buf))
            });
        });
        group.bench_function("generate", |b| {
            b.iter(|| {
                index = (index + 1) % SET;
                black_box(generator.webhook(index))
            });
        });
        let mut i = 0usize;
        group.bench_function("sign", |b| {
            b.iter(|| {
                i = (i + 1) % bodies.len();
                black_box(sign(&secret, black_box(&bodies[i])))
            });
        });
        group.bench_function("serialize", |b| {
            b.iter(|| {
                i = (i + 1) % webhooks.len();
                buf.clear();
                let _ = serialize_into(black_box(&webhooks[i]), &mut buf);
                black_box(buf.len())
            });
        });
        group.bench_function("serialize+sign", |b| {
            b.iter(|| {
                i = (i + 1) % webhooks.len();
                buf.clear();
                let _ = serialize_into(black_box(&webhooks[i]), &mut buf);
                black_box(sign(&secret, &buf))
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
