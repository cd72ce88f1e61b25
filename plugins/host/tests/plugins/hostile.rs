//! Plugins that misbehave: each is stopped by its limit with a typed error, and the host goes on.

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use confab_plugin_host::{Call, Limits, LoadedPlugin, PluginConfig, PluginError, PluginRuntime};

use crate::fixtures;
use crate::support::{assert_host_still_works, context, runtime};

fn load(name: &str, wat: &str) -> Arc<LoadedPlugin> {
    runtime().load(fixtures::manifest(name), &fixtures::component("response-transform", wat)).unwrap()
}

fn call(plugin: &LoadedPlugin, budget: Duration) -> Result<Option<String>, PluginError> {
    let ctx = context(&[]);
    plugin.transform_response(Call::new(&ctx, &PluginConfig::empty()).with_time_budget(budget), "The answer.")
}

#[test]
fn a_well_behaved_fixture_runs() {
    // The fixtures' scaffolding itself is sound: only their bodies misbehave.
    let plugin = load("quiet", &fixtures::quiet());
    assert_eq!(call(&plugin, Duration::from_millis(50)), Ok(None));
}

#[test]
fn an_endless_loop_is_stopped_at_its_deadline() {
    let plugin = load("spinner", &fixtures::endless_loop());
    let limits = runtime().limits();
    let budget = Duration::from_millis(30);
    let started = Instant::now();
    let result = call(&plugin, budget);
    let elapsed = started.elapsed();
    assert_eq!(result, Err(PluginError::Timeout { budget }));
    // The deadline is the budget plus at most one epoch tick; allow generous slack for a busy
    // machine (the point is "stopped", not a precise figure: the benchmark measures that).
    assert!(elapsed >= budget, "stopped early: {elapsed:?}");
    assert!(elapsed < budget + limits.epoch_tick + Duration::from_millis(250), "stopped late: {elapsed:?}");
    assert_host_still_works();
}

#[test]
fn a_memory_bomb_is_stopped_at_the_memory_limit() {
    let plugin = load("bomb", &fixtures::memory_bomb());
    let result = call(&plugin, Duration::from_secs(5));
    assert_eq!(result, Err(PluginError::MemoryLimit { limit_bytes: runtime().limits().memory_bytes }));
    assert_host_still_works();
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let plugin = load("recursion", &fixtures::deep_recursion());
    assert_eq!(call(&plugin, Duration::from_secs(5)), Err(PluginError::StackOverflow));
    assert_host_still_works();
}

#[test]
fn a_huge_output_is_refused() {
    let plugin = load("flood", &fixtures::huge_output());
    let limit = "The answer.".len() + runtime().limits().max_output_bytes;
    assert_eq!(
        call(&plugin, Duration::from_secs(5)),
        Err(PluginError::OutputTooLarge { limit_bytes: limit, actual_bytes: 10 << 20 })
    );
    assert_host_still_works();
}

#[test]
fn a_trap_is_reported_as_such() {
    let plugin = load("trap", &fixtures::trap());
    match call(&plugin, Duration::from_secs(5)) {
        Err(PluginError::Trap(message)) => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_host_still_works();
}

#[test]
fn fuel_stops_a_loop_when_it_runs_out_first() {
    let runtime = PluginRuntime::new(Limits { fuel: Some(100_000), ..Limits::default() }).unwrap();
    let plugin = runtime
        .load(fixtures::manifest("spinner"), &fixtures::component("response-transform", &fixtures::endless_loop()))
        .unwrap();
    assert_eq!(call(&plugin, Duration::from_secs(5)), Err(PluginError::OutOfFuel));
}

#[test]
fn hostile_calls_in_parallel_leave_good_calls_unharmed() {
    let spinner = load("spinner", &fixtures::endless_loop());
    let bomb = load("bomb", &fixtures::memory_bomb());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (spinner, bomb) = (Arc::clone(&spinner), Arc::clone(&bomb));
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    assert!(matches!(call(&spinner, Duration::from_millis(20)), Err(PluginError::Timeout { .. })));
                } else {
                    assert!(matches!(call(&bomb, Duration::from_secs(5)), Err(PluginError::MemoryLimit { .. })));
                }
                assert_host_still_works();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// `countdown` with enough iterations to run for at least `at_least` (measured on this machine).
fn slow_plugin(at_least: Duration) -> Arc<LoadedPlugin> {
    let mut iterations = 1 << 20;
    loop {
        let plugin = load("slow", &fixtures::countdown(iterations));
        // The fastest of three calls: a call slowed down by the tests running beside it (two
        // cores) must not pass for a slow plugin that a quieter moment then runs inline.
        let fastest = (0..3)
            .map(|_| {
                let started = Instant::now();
                assert_eq!(call(&plugin, Duration::from_secs(30)), Ok(None));
                started.elapsed()
            })
            .min()
            .unwrap();
        if fastest >= at_least || iterations >= 1 << 30 {
            return plugin;
        }
        iterations *= 2;
    }
}

/// `LoadedPlugin::call` from async code, reporting the thread the successful attempt ran on.
async fn call_async(plugin: &Arc<LoadedPlugin>, budget: Duration) -> (Result<Option<String>, PluginError>, ThreadId) {
    let ran_on = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&ran_on);
    let result = plugin
        .call(budget, move |p, attempt| {
            *seen.lock().unwrap() = Some(std::thread::current().id());
            let ctx = context(&[]);
            p.transform_response(Call::new(&ctx, &PluginConfig::empty()).within(attempt), "The answer.")
        })
        .await;
    let thread = ran_on.lock().unwrap().take().unwrap();
    (result, thread)
}

#[tokio::test(flavor = "current_thread")]
async fn a_quick_call_runs_on_the_callers_thread() {
    let plugin = load("quiet", &fixtures::quiet());
    let (result, thread) = call_async(&plugin, Duration::from_millis(50)).await;
    assert_eq!(result, Ok(None));
    assert_eq!(thread, std::thread::current().id(), "no hand-off for a call that takes microseconds");
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_that_outruns_the_inline_budget_finishes_on_the_blocking_pool() {
    let inline = runtime().limits().inline_budget;
    let plugin = slow_plugin(inline * 8);
    let (result, thread) = call_async(&plugin, Duration::from_secs(30)).await;
    assert_eq!(result, Ok(None), "run again with the rest of its budget, it completes");
    assert_ne!(thread, std::thread::current().id(), "the second run is not on the async thread");
}

#[tokio::test(flavor = "current_thread")]
async fn an_endless_loop_called_from_async_code_gets_its_whole_budget_and_no_more() {
    let plugin = load("spinner", &fixtures::endless_loop());
    let budget = Duration::from_millis(40);
    let started = Instant::now();
    let (result, thread) = call_async(&plugin, budget).await;
    let elapsed = started.elapsed();
    assert_eq!(result, Err(PluginError::Timeout { budget }), "the caller's budget is reported");
    assert_ne!(thread, std::thread::current().id());
    assert!(elapsed >= budget, "stopped early: {elapsed:?}");
    let tick = runtime().limits().epoch_tick;
    assert!(elapsed < budget + 2 * tick + Duration::from_millis(250), "stopped late: {elapsed:?}");
    assert_host_still_works();
}
