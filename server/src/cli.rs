//! Command line: `serve` (the default), `openapi`, `access-matrix`,
//! `keys create`, `keys generate-encryption-key`, `salary-models train`,
//! `backup`, `restore`, `rotate-keys`, `audit verify`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use mismatch_core::security::{Role, Scope};

use crate::config::{LogFormat, Settings};
use crate::services::accounts::{self, Bootstrap, KeySpec};
use crate::state::AppState;
use crate::storage::Storage;

#[derive(Debug, Parser)]
#[command(
    name = "mismatch-server",
    version,
    about = "The mismatch-recruiter API server"
)]
#[command(
    after_help = "Configuration comes from MISMATCH_* environment variables (and DATABASE_URL), \
or a TOML file named by MISMATCH_CONFIG. See the README for the full list."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print the OpenAPI document (the committed openapi.json).
    Openapi,
    /// Print the role × operation access matrix (the block of docs/api.md).
    AccessMatrix,
    /// Manage API keys directly in the configured database.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Train customer salary models directly in the configured database.
    SalaryModels {
        #[command(subcommand)]
        command: SalaryModelsCommand,
    },
    /// Write a backup archive of the configured database while the server
    /// runs (encrypted with --encrypt and MISMATCH_BACKUP_PASSPHRASE).
    Backup {
        /// The archive to write; must not exist yet.
        #[arg(long)]
        output: std::path::PathBuf,
        /// Encrypt the archive with the passphrase in MISMATCH_BACKUP_PASSPHRASE.
        #[arg(long)]
        encrypt: bool,
        /// SQLite: pages copied per step of the online backup.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
        pages_per_step: u32,
        /// SQLite: pause between two steps, in milliseconds.
        #[arg(long, default_value_t = 5)]
        step_pause_ms: u64,
    },
    /// Replace the configured database with a backup archive (stop the
    /// server first). Nothing changes unless the archive checks out.
    Restore {
        /// The archive to restore.
        #[arg(long)]
        input: std::path::PathBuf,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Re-encrypt every value not yet under the first key of
    /// MISMATCH_ENCRYPTION_KEYS, while servers keep serving. Checks first
    /// that every value opens under a configured key (exits non-zero and
    /// changes nothing otherwise). Resumable: run it again after a stop.
    RotateKeys {
        /// Rows re-encrypted per batch.
        #[arg(long, default_value_t = crate::services::encryption::DEFAULT_BATCH,
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch_size: u32,
        /// Stop after this many rows (a later run resumes).
        #[arg(long)]
        max_rows: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain from the newest signed checkpoint to the head:
    /// exits 0 with the number of events when intact, 1 naming the first
    /// modified, inserted or deleted event otherwise.
    Verify,
}

#[derive(Debug, Subcommand)]
enum SalaryModelsCommand {
    /// Fit a model on a CSV of offers and store it as the next version of NAME
    /// (columns: see `createSalaryModel` in the API reference).
    Train {
        /// The offers CSV.
        #[arg(long)]
        csv: std::path::PathBuf,
        /// Name of the model; training a name again adds a version.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Print a new random encryption key (a Fernet key, as
    /// MISMATCH_ENCRYPTION_KEYS takes it). Nothing is stored.
    GenerateEncryptionKey,
    /// Create a user with the given role and print a new API key for it.
    Create {
        /// admin, recruiter or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Name of the user and the key.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes narrowing the role (default: all of the role).
        #[arg(long, value_delimiter = ',', value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// Lifetime of the key in seconds.
        #[arg(long)]
        ttl_seconds: Option<u32>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not one of admin, recruiter, viewer"))
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.trim().parse::<Scope>().map_err(|_| {
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        format!("'{s}' is not a scope; known: {}", all.join(", "))
    })
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Openapi) => {
            print!("{}", crate::openapi::spec_json());
            return ExitCode::SUCCESS;
        }
        Some(Command::AccessMatrix) => {
            print!("{}", crate::openapi::access_matrix());
            return ExitCode::SUCCESS;
        }
        Some(Command::Keys {
            command: KeysCommand::GenerateEncryptionKey,
        }) => {
            println!(
                "{}",
                mismatch_core::security::fernet::Keyring::generate_key_text()
            );
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("mismatch-server: {err}");
            return ExitCode::from(2);
        }
    };
    init_logging(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("mismatch-server: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None | Some(Command::Serve) => serve(settings).await,
            Some(Command::Keys {
                command:
                    KeysCommand::Create {
                        role,
                        name,
                        scopes,
                        ttl_seconds,
                    },
            }) => create_key(&settings, role, &name, &scopes, ttl_seconds).await,
            Some(Command::SalaryModels {
                command: SalaryModelsCommand::Train { csv, name },
            }) => train_salary_model(&settings, &csv, &name).await,
            Some(Command::Backup {
                output,
                encrypt,
                pages_per_step,
                step_pause_ms,
            }) => {
                let pacing = crate::storage::backup::Pacing {
                    pages_per_step,
                    pause: Duration::from_millis(step_pause_ms),
                };
                backup(&settings, &output, encrypt, pacing).await
            }
            Some(Command::Restore { input }) => restore(&settings, &input).await,
            Some(Command::Audit {
                command: AuditCommand::Verify,
            }) => audit_verify(&settings).await,
            Some(Command::RotateKeys {
                batch_size,
                max_rows,
            }) => rotate_keys(&settings, batch_size, max_rows).await,
            Some(Command::Keys {
                command: KeysCommand::GenerateEncryptionKey,
            }) => Ok(()),
            Some(Command::Openapi | Command::AccessMatrix) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mismatch-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MISMATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to stderr: stdout carries only what scripts read (the listen
    // address, a new key).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn rotate_keys(
    settings: &Settings,
    batch_size: u32,
    max_rows: Option<u64>,
) -> Result<(), String> {
    use crate::services::audit::AuditContext;
    use crate::services::encryption::{RotationOptions, rotate_recorded};
    let secrets = crate::identity::Secrets::load(
        &settings.identity,
        &settings.data_dir,
        settings.database_url.is_some(),
    )?;
    let primary = secrets.encryption().primary_id().clone();
    let storage = open_storage(settings).await?;
    // A state of its own, for the audit log's writer: the run is recorded
    // like one started through the API.
    let state = AppState::with_secrets(storage.clone(), settings.clone(), secrets);
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} re-encrypting [{bar:40}] {pos}/{len} rows ({eta} left)",
        )
        .map_err(|e| e.to_string())?
        .progress_chars("=> "),
    );
    let options = RotationOptions {
        batch_size,
        max_rows,
    };
    let report = rotate_recorded(&state, &AuditContext::system("cli"), options, |status| {
        bar.set_length(status.total);
        bar.set_position(status.done());
    })
    .await;
    bar.finish_and_clear();
    storage.close().await;
    let report = report.map_err(|e| e.detail)?;
    if report.status.pending == 0 {
        println!(
            "re-encrypted {} row(s); all {} row(s) are under key {primary}: older keys can be \
             removed from MISMATCH_ENCRYPTION_KEYS",
            report.rewritten, report.status.total
        );
        Ok(())
    } else if max_rows.is_some_and(|max| report.rewritten >= max) {
        println!(
            "re-encrypted {} row(s) (--max-rows); {} of {} row(s) still to do: run rotate-keys \
             again to resume",
            report.rewritten, report.status.pending, report.status.total
        );
        Ok(())
    } else {
        Err(format!(
            "{} row(s) changed while they were re-encrypted; run rotate-keys again",
            report.status.pending
        ))
    }
}

async fn audit_verify(settings: &Settings) -> Result<(), String> {
    use crate::services::audit::{Verification, verify};
    let secrets = crate::identity::Secrets::load(
        &settings.identity,
        &settings.data_dir,
        settings.database_url.is_some(),
    )?;
    let storage = open_storage(settings).await?;
    let result = verify(&storage, Some(secrets.crypto.keyring())).await;
    storage.close().await;
    match result.map_err(|e| format!("cannot read the audit log: {e}"))? {
        Verification::Intact { events, checkpoint } => {
            match checkpoint {
                Some(cp) => println!(
                    "audit log intact: {events} event(s) verified after the signed checkpoint at event {}",
                    cp.seq
                ),
                None => println!("audit log intact: {events} event(s) verified"),
            }
            Ok(())
        }
        Verification::Tampered(tamper) => Err(format!(
            "audit log tampered: {tamper} (first bad event: {})",
            tamper.seq()
        )),
        Verification::ForgedCheckpoint { seq } => Err(format!(
            "audit log tampered: the checkpoint at event {seq} is not signed by a configured encryption key (forged or altered)"
        )),
    }
}

async fn open_storage(settings: &Settings) -> Result<Storage, String> {
    Storage::open(&settings.storage_target())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

async fn backup(
    settings: &Settings,
    output: &std::path::Path,
    encrypt: bool,
    pacing: crate::storage::backup::Pacing,
) -> Result<(), String> {
    use crate::backup::{PASSPHRASE_VAR, passphrase_from_env};
    let passphrase = if encrypt {
        Some(
            passphrase_from_env()
                .ok_or_else(|| format!("--encrypt needs the passphrase in {PASSPHRASE_VAR}"))?,
        )
    } else {
        None
    };
    let summary = crate::backup::backup(&settings.storage_target(), output, passphrase, pacing)
        .await
        .map_err(|e| format!("backup failed: {e}"))?;
    let manifest = &summary.manifest;
    if let Some(copy) = summary.copy {
        tracing::info!(
            pages = copy.pages,
            steps = copy.steps,
            restarts = copy.restarts,
            "online backup copied"
        );
    }
    println!(
        "backup written to {} ({} bytes; {} schema {}; payload sha256 {}{})",
        output.display(),
        summary.archive_bytes,
        manifest.backend,
        manifest.schema_version,
        manifest.payload.sha256,
        if manifest.payload.encrypted {
            "; encrypted"
        } else {
            ""
        }
    );
    Ok(())
}

async fn restore(settings: &Settings, input: &std::path::Path) -> Result<(), String> {
    let passphrase = crate::backup::passphrase_from_env();
    let summary = crate::backup::restore(&settings.storage_target(), input, passphrase)
        .await
        .map_err(|e| {
            if e.changed_nothing() {
                format!("restore refused, nothing was changed: {e}")
            } else {
                format!("restore failed: {e}")
            }
        })?;
    println!(
        "restored {} ({} schema {}, taken {})",
        input.display(),
        summary.manifest.backend,
        summary.manifest.schema_version,
        summary.manifest.created_at
    );
    Ok(())
}

async fn create_key(
    settings: &Settings,
    role: Role,
    name: &str,
    scopes: &[Scope],
    ttl_seconds: Option<u32>,
) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("--name must not be empty".into());
    }
    if let Some(bad) = scopes.iter().find(|s| !role.scopes().contains(s)) {
        return Err(format!(
            "scope {} is not available to role {}",
            bad.as_str(),
            role.as_str()
        ));
    }
    let storage = open_storage(settings).await?;
    let ttl_seconds = ttl_seconds.map(i64::from);
    let spec = KeySpec {
        name,
        role,
        scopes,
        ttl_seconds,
        expires_at: accounts::expiry_after(crate::state::now_ms(), ttl_seconds),
    };
    let (user, issued) = accounts::create_user_with_key(&storage, &spec, None)
        .await
        .map_err(|e| e.to_string())?;
    storage.close().await;
    println!(
        "Created API key {} for user {} ({name}, role {}).",
        issued.record.id,
        user.id,
        role.as_str()
    );
    println!("{}", issued.secret);
    println!("Store it now: it is not shown again.");
    Ok(())
}

async fn train_salary_model(
    settings: &Settings,
    csv: &std::path::Path,
    name: &str,
) -> Result<(), String> {
    let text =
        std::fs::read_to_string(csv).map_err(|e| format!("cannot read {}: {e}", csv.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    let storage = open_storage(settings).await?;
    let result = crate::services::salary_models::train_and_store(&storage, name, text, None).await;
    storage.close().await;
    let model = result.map_err(|e| {
        let problem = e.to_problem();
        let fields: Vec<String> = problem
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect();
        if fields.is_empty() {
            problem.detail
        } else {
            format!("{}: {}", csv.display(), fields.join("; "))
        }
    })?;
    println!(
        "Trained salary model {} (\"{}\") version {} on {} offers ({}).",
        model.id, model.name, model.version, model.row_count, model.currency
    );
    if let Some(e) = &model.summary.evaluation {
        println!(
            "Holdout ({} offers): MAE {:.0} vs {:.0} for the mean; 80 % interval coverage {:.3}.",
            e.n_test, e.mae, e.baseline_mae, e.interval_coverage
        );
    }
    println!(
        "Predictions report it as {}.",
        crate::services::salary_models::model_version(&model.id, model.version)
    );
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), String> {
    // Certificate and key are read first: a bad file stops the start at once.
    let tls = (settings.tls.as_ref())
        .map(crate::tls::acceptor)
        .transpose()
        .map_err(|e| e.to_string())?;
    // Load the skills vocabulary and fit the salary model now, not on the first request.
    tokio::task::spawn_blocking(mismatch_core::warm_up)
        .await
        .map_err(|e| format!("cannot load the domain data: {e}"))?;
    // Keys before the database: a missing or bad keyring stops the start
    // before anything is migrated or written.
    let secrets = crate::identity::Secrets::load(
        &settings.identity,
        &settings.data_dir,
        settings.database_url.is_some(),
    )?;
    let storage = open_storage(&settings).await?;
    tracing::info!(backend = storage.backend().as_str(), "database ready");
    match accounts::bootstrap(&storage, settings.admin_api_key.as_deref())
        .await
        .map_err(|e| format!("cannot create the first admin: {e}"))?
    {
        Bootstrap::Generated(issued) => print_admin_banner(&issued.secret),
        Bootstrap::RegisteredConfiguredKey => {
            tracing::info!("registered MISMATCH_ADMIN_API_KEY for a new admin user");
        }
        Bootstrap::ConfiguredKeyKnown | Bootstrap::Nothing => {}
    }
    let state = AppState::with_secrets(storage.clone(), settings.clone(), secrets);
    tokio::spawn(accounts::idle_key_sweep(state.clone()));
    state
        .indexes()
        .load(state.storage())
        .await
        .map_err(|e| format!("cannot build the match indexes: {}", e.detail))?;
    // After the indexes are loaded, so its erasures update loaded indexes.
    tokio::spawn(crate::services::privacy::retention_sweep(state.clone()));
    tokio::spawn(crate::services::audit::retention_sweep(state.clone()));
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|e| format!("MISMATCH_BIND: cannot listen on {}: {e}", settings.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, scheme, "server started");

    let pruner = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                crate::idempotency::prune(&state).await;
            }
        })
    };
    let limits = crate::listener::Limits {
        header_timeout: Duration::from_secs(settings.header_timeout_secs),
        max_connections: settings.max_connections,
        drain_timeout: Duration::from_secs(settings.request_timeout_secs + 5),
    };
    let app = crate::app(state.clone());
    let result = match tls {
        Some(tls) => {
            crate::listener::serve_tls(listener, app, limits, tls, shutdown_signal()).await
        }
        None => crate::listener::serve(listener, app, limits, shutdown_signal()).await,
    }
    .map_err(|e| format!("server error: {e}"));
    pruner.abort();
    // Requests that finished during the drain queued their audit events.
    crate::services::audit::flush(&state).await;
    storage.close().await;
    tracing::info!("stopped");
    result
}

fn print_admin_banner(secret: &str) {
    let line = "=".repeat(72);
    println!("{line}");
    println!("  First start: created the admin user and this admin API key.");
    println!("  It is shown only once. Store it now:");
    println!();
    println!("    {secret}");
    println!();
    println!("  Use it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.");
    println!("{line}");
    let _ = std::io::stdout().flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
