using System.Globalization;
using CustomLabels.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Accounts.Embedded;

/// <summary>Users and API keys in the embedded database (tables <c>users</c> and <c>api_keys</c>).</summary>
internal sealed class SqliteAccountStore(SqliteDatabase database, TimeProvider time) : IAccountStore
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 256;
    public const int MaxNameLength = 64;

    public static SqliteMigration Migration { get; } = new(
        "0600-accounts",
        """
        CREATE TABLE users (
            user_name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            revoked_at TEXT NULL,
            revoked_by TEXT NULL
        );
        """);

    /// <summary>
    /// A stable id per user, the principal id work is attributed to. Key names become unique from here on; a database
    /// that already holds two keys of one name keeps them, told apart by their ids.
    /// </summary>
    public static SqliteMigration IdMigration { get; } = new(
        "0601-user-ids",
        """
        ALTER TABLE users ADD COLUMN id TEXT NULL;
        UPDATE users SET id = lower(hex(randomblob(16))) WHERE id IS NULL;
        CREATE UNIQUE INDEX users_id ON users (id);
        CREATE INDEX api_keys_name ON api_keys (name COLLATE NOCASE);
        """);

    /// <summary>A security stamp per user, renewed at sign-out: a sign-in cookie holds the stamp it was issued with.</summary>
    public static SqliteMigration SecurityStampMigration { get; } = new(
        "0602-user-security-stamps",
        """
        ALTER TABLE users ADD COLUMN security_stamp TEXT NULL;
        UPDATE users SET security_stamp = lower(hex(randomblob(16))) WHERE security_stamp IS NULL;
        """);

    private static readonly PasswordHasher<UserAccount> Hasher = new();

    public async Task<bool> AnyUserAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM users);";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1;
    }

    public async Task<UserAccount> CreateUserAsync(
        string userName, string password, AccountRole role, string createdBy, CancellationToken cancellationToken = default)
    {
        var user = NewUser(userName, password, role, createdBy, out var hash);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = InsertUser(connection, user, hash, onlyIfNoUser: false);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the name is taken
        {
            throw new AccountConflictException($"A user named '{user.UserName}' exists already.");
        }

        return user;
    }

    public async Task<UserAccount?> CreateFirstOperatorAsync(
        string userName, string password, string createdBy, CancellationToken cancellationToken = default)
    {
        var user = NewUser(userName, password, AccountRole.Operator, createdBy, out var hash);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = InsertUser(connection, user, hash, onlyIfNoUser: true);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? user : null;
    }

    public async Task<UserAccount?> VerifyPasswordAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password) || password.Length > MaxPasswordLength)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        string hash;
        UserAccount user;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT user_name, role, created_at, created_by, id, password_hash FROM users WHERE user_name = $name;";
            command.Parameters.AddWithValue("$name", userName.Trim());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            user = ReadUser(reader);
            hash = reader.GetString(5);
        }

        var result = Hasher.VerifyHashedPassword(user, hash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE users SET password_hash = $hash WHERE user_name = $name;";
            update.Parameters.AddWithValue("$hash", Hasher.HashPassword(user, password));
            update.Parameters.AddWithValue("$name", user.UserName);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        return result == PasswordVerificationResult.Failed ? null : user;
    }

    public async Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT user_name, role, created_at, created_by, id FROM users ORDER BY user_name;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserAccount>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(ReadUser(reader));
        }

        return users;
    }

    public async Task<CreatedApiKey> CreateApiKeyAsync(string name, AccountRole role, string createdBy, CancellationToken cancellationToken = default)
    {
        var keyName = CheckName(name, "A key name");
        var key = ApiKeys.Generate();
        var info = new ApiKeyInfo(
            Guid.NewGuid().ToString("N"), keyName, role, key[..ApiKeys.VisiblePrefixLength], time.GetUtcNow(), createdBy, null);

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // One statement, so that two keys of one name cannot both be created: a name says whose work it is.
        command.CommandText = """
            INSERT INTO api_keys (id, name, role, key_hash, prefix, created_at, created_by)
            SELECT $id, $name, $role, $hash, $prefix, $at, $by
            WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE name = $name COLLATE NOCASE);
            """;
        command.Parameters.AddWithValue("$id", info.Id);
        command.Parameters.AddWithValue("$name", info.Name);
        command.Parameters.AddWithValue("$role", info.Role.ToString());
        command.Parameters.AddWithValue("$hash", ApiKeys.Hash(key));
        command.Parameters.AddWithValue("$prefix", info.Prefix);
        command.Parameters.AddWithValue("$at", Format(info.CreatedAt));
        command.Parameters.AddWithValue("$by", createdBy);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new AccountConflictException(
                $"An API key named '{keyName}' exists already (revoked keys keep their names); give this key another name.");
        }

        return new CreatedApiKey(info, key);
    }

    public async Task<ApiKeyInfo?> FindActiveApiKeyAsync(string plainKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(plainKey) || plainKey.Length > 200)
        {
            return null;
        }

        var keys = await QueryKeysAsync("WHERE key_hash = $hash AND revoked_at IS NULL", ("$hash", ApiKeys.Hash(plainKey)), cancellationToken);
        return keys.SingleOrDefault();
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        QueryKeysAsync(string.Empty, null, cancellationToken);

    public async Task<ApiKeyInfo?> RevokeApiKeyAsync(string id, string revokedBy, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE api_keys SET revoked_at = $at, revoked_by = $by WHERE id = $id AND revoked_at IS NULL;";
            command.Parameters.AddWithValue("$at", Format(time.GetUtcNow()));
            command.Parameters.AddWithValue("$by", revokedBy);
            command.Parameters.AddWithValue("$id", id);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var keys = await QueryKeysAsync("WHERE id = $id", ("$id", id), cancellationToken);
        return keys.SingleOrDefault();
    }

    public async Task<string?> GetSecurityStampAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT security_stamp FROM users WHERE id = $id;";
        command.Parameters.AddWithValue("$id", userId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task RenewSecurityStampAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE users SET security_stamp = $stamp WHERE id = $id;";
        command.Parameters.AddWithValue("$stamp", NewStamp());
        command.Parameters.AddWithValue("$id", userId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private UserAccount NewUser(string userName, string password, AccountRole role, string createdBy, out string hash)
    {
        var name = CheckName(userName, "A user name");
        if (Callers.LooksLikeAKey(name))
        {
            throw new AccountValidationException(
                $"A user name may not start with '{Callers.KeyNamePrefix}' nor be '{Callers.BootstrapKey}': those are the names of API keys.");
        }

        if (password is null || password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            throw new AccountValidationException(
                $"A password must have from {MinPasswordLength} to {MaxPasswordLength} characters.");
        }

        if (!Enum.IsDefined(role))
        {
            throw new AccountValidationException($"'{role}' is not a role; use Operator, Reviewer or Consumer.");
        }

        var user = new UserAccount(name, role, time.GetUtcNow(), createdBy, Guid.NewGuid().ToString("N"));
        hash = Hasher.HashPassword(user, password);
        return user;
    }

    private static string CheckName(string? name, string what)
    {
        var trimmed = name?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            throw new AccountValidationException($"{what} must have from 1 to {MaxNameLength} characters and no control characters.");
        }

        return trimmed;
    }

    private static SqliteCommand InsertUser(SqliteConnection connection, UserAccount user, string hash, bool onlyIfNoUser)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO users (user_name, password_hash, role, created_at, created_by, id, security_stamp)
            SELECT $name, $hash, $role, $at, $by, $id, $stamp {(onlyIfNoUser ? "WHERE NOT EXISTS (SELECT 1 FROM users)" : string.Empty)};
            """;
        command.Parameters.AddWithValue("$name", user.UserName);
        command.Parameters.AddWithValue("$hash", hash);
        command.Parameters.AddWithValue("$role", user.Role.ToString());
        command.Parameters.AddWithValue("$at", Format(user.CreatedAt));
        command.Parameters.AddWithValue("$by", user.CreatedBy);
        command.Parameters.AddWithValue("$id", user.Id);
        command.Parameters.AddWithValue("$stamp", NewStamp());
        return command;
    }

    private async Task<IReadOnlyList<ApiKeyInfo>> QueryKeysAsync(
        string where, (string Name, string Value)? parameter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, name, role, prefix, created_at, created_by, revoked_at FROM api_keys {where} ORDER BY created_at DESC, id;";
        if (parameter is { } p)
        {
            command.Parameters.AddWithValue(p.Name, p.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKeyInfo(
                reader.GetString(0),
                reader.GetString(1),
                Enum.Parse<AccountRole>(reader.GetString(2)),
                reader.GetString(3),
                Parse(reader.GetString(4)),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : Parse(reader.GetString(6))));
        }

        return keys;
    }

    private static UserAccount ReadUser(SqliteDataReader reader) =>
        new(reader.GetString(0), Enum.Parse<AccountRole>(reader.GetString(1)), Parse(reader.GetString(2)), reader.GetString(3), reader.GetString(4));

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
