//! Running `optlab semiopen` subcommands: load the owner's model, call the library, print
//! text or JSON.

use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use optlab_core::models::{LoadedModel, ModelSource, TokenizerSpec};
use optlab_semiopen::combined::load_split;
use optlab_semiopen::customise::{customise_seeds, Customer};
use optlab_semiopen::data::{blocks, encode_lines, quality, task_lines};
use optlab_semiopen::finetune::FinetuneConfig;
use optlab_semiopen::metric::plan;
use optlab_semiopen::serve::{serve, verify_split, Limits, ServeConfig};
use optlab_semiopen::split::{write_split, MANIFEST_FILE};
use optlab_semiopen::sweep::{random_quality, run_one, summarise, Closed, SweepSetup};

use super::args::{Cmd, EvalArgs, ModelArgs, SemiopenArgs, TuneArgs};
use super::output::print;
use super::study::{adamw, experiment};
use super::tables::{attack_table, customise_table, plan_table};

/// The owner's model as the flags name it, with the `tokenizer.json` a split ships (a
/// folder's own; none for a GGUF file or a byte-level folder).
struct Owner {
    loaded: LoadedModel,
    tokenizer_json: Option<String>,
}

fn load(m: &ModelArgs, dev: &Device) -> Result<Owner> {
    let source = match (&m.model_dir, &m.gguf) {
        (Some(dir), None) => ModelSource::Folder(dir.clone()),
        (None, Some(path)) => ModelSource::Gguf(path.clone()),
        _ => bail!("give exactly one of --model-dir or --gguf"),
    };
    let loaded = LoadedModel::load(&source, dev)?;
    let tokenizer_json = match (&source, &loaded.spec) {
        (ModelSource::Folder(_), TokenizerSpec::Json(j)) => Some(j.clone()),
        _ => None,
    };
    Ok(Owner {
        loaded,
        tokenizer_json,
    })
}

fn heldout(o: &LoadedModel, e: &EvalArgs, dev: &Device) -> Result<Vec<(Tensor, Tensor)>> {
    let need = e.batch * e.batches * e.seq_len + 1;
    let tokens = match &e.corpus {
        Some(p) => {
            let text = optlab_core::data::read_corpus(p)?;
            let mut end = (need * 8).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            o.tokenizer.encode(&text[..end])?
        }
        None => encode_lines(&task_lines(99, need / 8 + 16), o.tokenizer.as_ref())?,
    };
    Ok(blocks(&tokens, e.batch, e.seq_len, e.batches, dev)?)
}

fn seeds(first: u64, n: u64) -> Result<Vec<u64>> {
    if n == 0 {
        bail!("--seeds must be at least 1");
    }
    Ok((first..first + n).collect())
}

fn tune(t: &TuneArgs) -> FinetuneConfig {
    FinetuneConfig {
        steps: t.steps,
        lr: t.lr,
        ..FinetuneConfig::default()
    }
}

/// Run `optlab semiopen`.
pub fn run(args: SemiopenArgs) -> Result<()> {
    let dev = Device::Cpu;
    match args.cmd {
        Cmd::Plan {
            model,
            eval,
            seeds: n,
            tau,
            seed,
            json,
        } => {
            let o = load(&model, &dev)?.loaded;
            let b = heldout(&o, &eval, &dev)?;
            let p = plan(&o.model, &b, &seeds(seed, n)?, tau)?;
            print(json, &p, &plan_table(&p))
        }
        Cmd::Split {
            model,
            k,
            out,
            json,
        } => {
            let o = load(&model, &dev)?;
            let m = write_split(&o.loaded.model, k, o.tokenizer_json.as_deref(), &out)?;
            let text = format!(
                "closed: bottom {k} of {} layers, {} parameters ({:.1}%), {} ({} bytes)\npublic: {} tensors, {} ({} bytes)\nmanifest: {}\n",
                m.num_layers, m.closed_params, 100.0 * m.closed_fraction(), out.join(&m.closed.file).display(),
                m.closed.bytes, m.public.tensors.len(), out.join(&m.public.file).display(), m.public.bytes,
                out.join(MANIFEST_FILE).display()
            );
            print(json, &m, &text)
        }
        Cmd::Verify {
            split,
            model_dir,
            gguf,
            remote,
            json,
        } => verify(
            &split,
            remote.as_deref(),
            &ModelArgs { model_dir, gguf },
            json,
        ),
        Cmd::Serve {
            split,
            addr,
            requests,
            max_tokens,
            memory_mib,
            max_batch,
            max_seq,
            timeout_ms,
            workers,
            connections,
        } => {
            let (m, semi) = load_split(&split, &dev)?;
            let mut limits = Limits::derive(
                &m.config,
                m.closed_layers,
                workers,
                max_seq,
                memory_mib.map(|m| m << 20),
            );
            limits.max_batch = max_batch;
            if let Some(t) = max_tokens {
                limits.max_tokens = t;
            }
            let listener = std::net::TcpListener::bind(&addr)
                .with_context(|| format!("cannot listen on {addr}"))?;
            eprintln!(
                "serving the {} closed layers of {} on http://{addr}/hidden",
                m.closed_layers,
                split.display()
            );
            eprintln!(
                "limits: {} tokens per request, {} rows, {} tokens per row; {} MiB per request \
                 (~{} bytes per token), {workers} computing at once, {connections} connections, \
                 {timeout_ms} ms timeout",
                limits.max_tokens,
                limits.max_batch,
                limits.max_seq,
                limits.budget_bytes >> 20,
                limits.bytes_per_token
            );
            let mut cfg = ServeConfig::new(m.config.vocab_size, limits);
            cfg.timeout = std::time::Duration::from_millis(timeout_ms.max(1));
            cfg.workers = workers.max(1);
            cfg.connections = connections.max(1);
            cfg.max_requests = requests;
            Ok(serve(&semi.closed, listener, &cfg)?)
        }
        Cmd::Attack {
            model,
            eval,
            tune: t,
            k,
            donor,
            seed,
            out,
            json,
        } => {
            let o = load(&model, &dev)?.loaded;
            let layers = o.model.config().num_hidden_layers;
            let closed = match k {
                0 => Closed::Everything,
                k if k <= layers => Closed::Bottom(k),
                k => bail!("cannot close {k} layers: the model has {layers} decoder layers"),
            };
            let donor = match &donor {
                Some(d) => Some(LoadedModel::load(&ModelSource::Folder(d.clone()), &dev)?.model),
                None => None,
            };
            let b = heldout(&o, &eval, &dev)?;
            let ss = seeds(seed, t.seeds)?;
            let original = quality(|x| Ok(o.model.forward(x)?), &b)?;
            let random = random_quality(&o.model, &b, &ss)?;
            let setup = SweepSetup {
                tokenizer: o.tokenizer.as_ref(),
                heldout: &b,
                original,
                random,
                samples: t.samples,
                finetune: tune(&t),
                optimizer: &adamw,
                work: &out,
            };
            let rows = ss
                .iter()
                .map(|&s| run_one(&o.model, closed, donor.as_ref(), s, &setup))
                .collect::<optlab_semiopen::Result<Vec<_>>>()?;
            let summary = summarise(&rows);
            let value = serde_json::json!({"original": original, "random": random, "runs": rows, "summary": summary});
            print(json, &value, &attack_table(&summary, original, random))
        }
        Cmd::Customize {
            model,
            tune: t,
            k,
            seed,
            out,
            json,
        } => {
            let o = load(&model, &dev)?.loaded;
            let rows = customise_seeds(
                &o.model,
                k,
                Customer {
                    tokenizer: o.tokenizer.as_ref(),
                    samples: t.samples,
                },
                &seeds(seed, t.seeds)?,
                &tune(&t),
                &adamw,
                &out,
            )?;
            print(json, &rows, &customise_table(&rows))
        }
        Cmd::Experiment { quick, out, json } => experiment(quick, &out, json),
    }
}

fn verify(split: &Path, remote: Option<&str>, original: &ModelArgs, json: bool) -> Result<()> {
    let dev = Device::Cpu;
    let o = match original.model_dir.is_some() || original.gguf.is_some() {
        true => Some(load(original, &dev)?.loaded),
        false => None,
    };
    let r = verify_split(split, remote, o.as_ref().map(|o| &o.model), &dev)?;
    let via = if r.remote { "over HTTP" } else { "in-process" };
    let mut text = format!(
        "{}: manifest and files agree (k = {}, {} layers); recombined model runs ({via})\n",
        split.display(),
        r.k,
        r.layers
    );
    if let (Some(n), Some(d), Some(m)) = (r.logits_compared, r.logits_differing, r.max_abs_diff) {
        text += &format!("logits vs the original: {d} of {n} differ (max |diff| {m:e})\n");
        if d > 0 {
            print(json, &r, &text)?;
            bail!("the recombined model's logits differ from the original's");
        }
    }
    print(json, &r, &text)
}
