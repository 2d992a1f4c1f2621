using System.Reflection;

namespace CustomLabels.Tests.Web;

/// <summary>Wraps real Core services to hold or fail their calls.</summary>
public static class Ports
{
    /// <summary>Every call waits until <paramref name="gate"/> completes, then runs on <paramref name="inner"/>.</summary>
    public static T Gated<T>(T inner, Task gate)
        where T : class => PortDecorator<T>.Create(inner, gate, null);

    /// <summary>Every call fails with <paramref name="failure"/>, as a broken backend would.</summary>
    public static T Failing<T>(T inner, Exception failure)
        where T : class => PortDecorator<T>.Create(inner, Task.CompletedTask, failure);
}

/// <summary>
/// Wraps a real Core service so a page can be seen while it waits or when its backend fails: every call first
/// awaits a gate the test opens, or fails with the test's exception. Results always come from the real service.
/// </summary>
public class PortDecorator<T> : DispatchProxy
    where T : class
{
    private static readonly MethodInfo AwaitTyped = typeof(PortDecorator<T>).GetMethod(nameof(ForwardTypedAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private T _inner = default!;
    private Task _gate = Task.CompletedTask;
    private Exception? _failure;

#pragma warning disable CA1000 // Ports is the entry point; this is its factory.
    internal static T Create(T inner, Task gate, Exception? failure)
    {
        var proxy = Create<T, PortDecorator<T>>();
        var decorator = (PortDecorator<T>)(object)proxy;
        decorator._inner = inner;
        decorator._gate = gate;
        decorator._failure = failure;
        return proxy;
    }
#pragma warning restore CA1000

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var returnType = targetMethod.ReturnType;
        if (returnType == typeof(Task))
        {
            return ForwardAsync(() => (Task)targetMethod.Invoke(_inner, args)!);
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var call = () => targetMethod.Invoke(_inner, args)!;
            return AwaitTyped.MakeGenericMethod(returnType.GetGenericArguments()[0]).Invoke(null, [this, call]);
        }

        return _failure is null ? targetMethod.Invoke(_inner, args) : throw _failure;
    }

    private async Task ForwardAsync(Func<Task> call)
    {
        await _gate;
        if (_failure is not null)
        {
            throw _failure;
        }

        await call();
    }

    private static async Task<TResult> ForwardTypedAsync<TResult>(PortDecorator<T> self, Func<object> call)
    {
        await self._gate;
        if (self._failure is not null)
        {
            throw self._failure;
        }

        return await (Task<TResult>)call();
    }
}
