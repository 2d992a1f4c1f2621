using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Authentication;

/// <summary>How wrong passwords are throttled, bound from <c>CustomLabels:SignIn</c>.</summary>
public sealed class SignInOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:SignIn";

    /// <summary>Failed sign-ins for one user name, within <see cref="LockoutWindow"/>, that lock the name. Default: 5.</summary>
    [Range(1, 10_000)]
    public int MaxFailuresPerUser { get; set; } = 5;

    /// <summary>Failed sign-ins from one client address, whatever the names, that lock the address. Default: 20.</summary>
    [Range(1, 100_000)]
    public int MaxFailuresPerAddress { get; set; } = 20;

    /// <summary>How long a failure counts; a locked name or address opens again when its oldest counted failure is this old. Default: 15 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>Too many failed sign-ins for this name or from this address; HTTP 429 with Retry-After.</summary>
public sealed class SignInLockedOutException(TimeSpan retryAfter)
    : InvalidOperationException($"Too many failed sign-ins for this user name or from this address; try again in {Minutes(retryAfter)}.")
{
    /// <summary>How long until a sign-in is tried again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    internal static string Minutes(TimeSpan wait)
    {
        var minutes = (int)Math.Ceiling(wait.TotalMinutes);
        return minutes <= 1 ? "a minute" : $"{minutes} minutes";
    }
}

/// <summary>
/// Counts failed sign-ins per user name (ignoring case) and per client address over a sliding window read from the
/// <see cref="TimeProvider"/>. While a name or an address is locked no password is checked, so guessing learns nothing.
/// Kept in memory: a restart forgets the counts.
/// </summary>
public sealed partial class SignInThrottle(IOptions<SignInOptions> options, TimeProvider time, ILogger<SignInThrottle> logger)
{
    // Stale entries are swept when the table grows past this, so addresses that come once do not pile up.
    private const int SweepAbove = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the name or the address stays locked, or null when neither is.</summary>
    public TimeSpan? LockedFor(string userName, string? address)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        lock (_gate)
        {
            var byUser = Remaining(UserKey(userName), settings.MaxFailuresPerUser, now);
            var byAddress = address is null ? null : Remaining(AddressKey(address), settings.MaxFailuresPerAddress, now);
            return byUser is null ? byAddress : byAddress is null ? byUser : (byUser > byAddress ? byUser : byAddress);
        }
    }

    /// <summary>Counts a wrong name or password.</summary>
    public void RecordFailure(string userName, string? address)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        lock (_gate)
        {
            if (_failures.Count > SweepAbove)
            {
                foreach (var stale in _failures.Where(f => f.Value.Count == 0 || f.Value.Last() + settings.LockoutWindow <= now).Select(f => f.Key).ToList())
                {
                    _failures.Remove(stale);
                }
            }

            if (Add(UserKey(userName), settings.MaxFailuresPerUser, now))
            {
                LogLocked(logger, "user name", userName, settings.MaxFailuresPerUser, settings.LockoutWindow);
            }

            if (address is not null && Add(AddressKey(address), settings.MaxFailuresPerAddress, now))
            {
                LogLocked(logger, "address", address, settings.MaxFailuresPerAddress, settings.LockoutWindow);
            }
        }
    }

    /// <summary>A right password clears the name's failures; the address keeps its own.</summary>
    public void RecordSuccess(string userName)
    {
        lock (_gate)
        {
            _failures.Remove(UserKey(userName));
        }
    }

    // True when this failure locks the key.
    private bool Add(string key, int max, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var failures))
        {
            _failures[key] = failures = new Queue<DateTimeOffset>();
        }

        Expire(failures, now);
        failures.Enqueue(now);
        while (failures.Count > max)
        {
            failures.Dequeue();
        }

        return failures.Count == max;
    }

    private TimeSpan? Remaining(string key, int max, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var failures))
        {
            return null;
        }

        Expire(failures, now);
        return failures.Count >= max ? failures.Peek() + options.Value.LockoutWindow - now : null;
    }

    private void Expire(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() + options.Value.LockoutWindow <= now)
        {
            failures.Dequeue();
        }
    }

    private static string UserKey(string userName) => "user:" + userName.Trim().ToUpperInvariant();

    private static string AddressKey(string address) => "address:" + address;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in is locked for the {What} '{Who}' after {Failures} failed attempts within {Window}")]
    private static partial void LogLocked(ILogger logger, string what, string who, int failures, TimeSpan window);
}
