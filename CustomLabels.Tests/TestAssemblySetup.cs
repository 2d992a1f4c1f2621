using System.Runtime.CompilerServices;
using Bunit;

namespace CustomLabels.Tests;

/// <summary>
/// Settings for the whole test assembly, made once before any test runs. CI runs the suite on a loaded two-core
/// machine: the thread pool starts with enough threads that a test's background work (the workflow runner, the
/// hosted services of a started app, the renderer's dispatcher) is not queued behind other tests' blocking waits, and a
/// component test's wait gives the renderer generous time before it calls a page wrong.
/// </summary>
internal static class TestAssemblySetup
{
    /// <summary>How long a component test waits for a page to reach the state it expects.</summary>
    public static readonly TimeSpan ComponentWaitTimeout = TimeSpan.FromSeconds(30);

    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(completionPorts, 32));
        BunitContext.DefaultWaitTimeout = ComponentWaitTimeout;
    }
}
