using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CustomLabels.Core.Data;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Review.Embedded;

/// <summary>
/// The embedded human review (A2I's runtime): loops in SQLite, answered in the dashboard or through the API. An
/// answer completes the loop and writes <c>output.json</c> in A2I's format under <c>a2i-human-loop-data/</c>, and
/// that new object starts the review branch of the workflow. One image has at most one loop in progress. A box the
/// reviewer drew is kept with the answer, with the image's size in pixels read when it was answered, and written in
/// A2I's bounding-box shape (see <see cref="HumanLoopOutput"/>).
/// </summary>
internal sealed partial class SqliteHumanReview : IHumanReview, IHostedService
{
    public static readonly ISqliteMigration Migration = new SqliteMigration(
        "0410-human-loops",
        """
        CREATE TABLE human_loops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            creation_ticks INTEGER NOT NULL,
            creation_time TEXT NOT NULL,
            input_json TEXT NOT NULL,
            image_key TEXT NOT NULL,
            image_etag TEXT,
            reason TEXT NOT NULL,
            failure_reason TEXT,
            output_key TEXT,
            output_written INTEGER NOT NULL DEFAULT 0,
            answer_label TEXT,
            answer_none INTEGER,
            answered_by TEXT,
            answered_at TEXT
        );
        CREATE INDEX human_loops_status ON human_loops (status, id);
        CREATE INDEX human_loops_created ON human_loops (creation_ticks);
        CREATE INDEX human_loops_image_key ON human_loops (image_key, status);
        CREATE UNIQUE INDEX human_loops_open_image ON human_loops (image_etag) WHERE status = 'InProgress';
        """);

    /// <summary>The region of an answer: the box as fractions of the image, and the image's size when it was answered.</summary>
    public static readonly ISqliteMigration AnswerRegionMigration = new SqliteMigration(
        "0411-human-loop-answer-region",
        """
        ALTER TABLE human_loops ADD COLUMN answer_box TEXT;
        ALTER TABLE human_loops ADD COLUMN answer_image_width INTEGER;
        ALTER TABLE human_loops ADD COLUMN answer_image_height INTEGER;
        """);

    private const string Columns =
        "id, name, status, creation_time, input_json, failure_reason, output_key, answer_label, answer_none, answered_by, answered_at, "
        + "answer_box, answer_image_width, answer_image_height";

    private const string AccountPrefix = "arn:aws:sagemaker:local:000000000000:";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly SqliteDatabase _database;
    private readonly IObjectStore _store;
    private readonly PipelineEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteHumanReview> _logger;
    private readonly string _flowName;
    private readonly string _flowArn;

    public SqliteHumanReview(
        SqliteDatabase database,
        IObjectStore store,
        PipelineEvents events,
        TimeProvider time,
        IOptions<ReviewOptions> options,
        ILogger<SqliteHumanReview> logger)
    {
        _database = database;
        _store = store;
        _events = events;
        _time = time;
        _logger = logger;
        _flowName = options.Value.FlowDefinitionName;
        _flowArn = $"{AccountPrefix}flow-definition/{_flowName}";
    }

    public async Task<HumanLoop> StartHumanLoopAsync(StartHumanLoopRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Input);
        if (request.HumanLoopName is not { Length: <= 63 } name || !LoopName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{ObjectKey.Printable(request.HumanLoopName)}' is not a human loop name: use 1 to 63 lower-case letters, digits and hyphens.",
                nameof(request));
        }

        ObjectKey.Validate(request.Input.ImageKey);
        if (await DescribeHumanLoopAsync(request.HumanLoopName!, cancellationToken) is { } existing)
        {
            return existing;
        }

        var now = _time.GetUtcNow();
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO human_loops (name, status, creation_ticks, creation_time, input_json, image_key, image_etag, reason)
            VALUES ($name, 'InProgress', $ticks, $time, $input, $key, $etag, $reason)
            ON CONFLICT (name) DO NOTHING;
            """;
        command.Parameters.AddWithValue("$name", request.HumanLoopName);
        command.Parameters.AddWithValue("$ticks", now.UtcTicks);
        command.Parameters.AddWithValue("$time", Format(now));
        command.Parameters.AddWithValue("$input", JsonSerializer.Serialize(request.Input, Json));
        command.Parameters.AddWithValue("$key", request.Input.ImageKey);
        command.Parameters.AddWithValue("$etag", (object?)request.Input.ImageETag ?? DBNull.Value);
        command.Parameters.AddWithValue("$reason", request.Input.Reason.ToString());
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT: the image's open-loop index */)
        {
            var open = await FindOpenHumanLoopAsync(request.Input.ImageKey, request.Input.ImageETag, cancellationToken);
            throw new HumanLoopConflictException(
                $"The image '{ObjectKey.Printable(request.Input.ImageKey)}' already has the human loop '{open?.HumanLoopName}' in progress.");
        }

        _events.Publish(new PipelineEvent(PipelineEventKind.HumanLoop, request.HumanLoopName));
        return await DescribeHumanLoopAsync(request.HumanLoopName!, cancellationToken)
            ?? throw new HumanLoopNotFoundException(request.HumanLoopName!);
    }

    public async Task<HumanLoop?> FindOpenHumanLoopAsync(string imageKey, string? imageETag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageKey);
        return await QuerySingleAsync(
            imageETag is null
                ? "WHERE image_key = $key AND status = 'InProgress' ORDER BY id LIMIT 1"
                : "WHERE image_etag = $etag AND status = 'InProgress' ORDER BY id LIMIT 1",
            [("$key", imageKey), ("$etag", imageETag)],
            cancellationToken);
    }

    public Task<HumanLoop?> DescribeHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default) =>
        QuerySingleAsync("WHERE name = $name", [("$name", humanLoopName)], cancellationToken);

    public async Task<HumanLoopPage> ListHumanLoopsAsync(HumanLoopQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.MaxResults, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.MaxResults, 100);
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.Status is { } status)
        {
            where.Add("status = $status");
            command.Parameters.AddWithValue("$status", status.ToString());
        }

        if (query.CreatedAfter is { } after)
        {
            where.Add("creation_ticks > $after");
            command.Parameters.AddWithValue("$after", after.UtcTicks);
        }

        if (query.CreatedBefore is { } before)
        {
            where.Add("creation_ticks < $before");
            command.Parameters.AddWithValue("$before", before.UtcTicks);
        }

        var (rows, next) = await KeysetPage.ReadAsync(
            command, $"SELECT {Columns} FROM human_loops", where, "id", query.Ascending, query.NextToken, query.MaxResults,
            reader => (Id: reader.GetInt64(0), Loop: Read(reader)), row => row.Id, cancellationToken);
        return new HumanLoopPage([.. rows.Select(r => r.Loop)], next);
    }

    public async Task StopHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default)
    {
        var changed = await ExecuteAsync(
            "UPDATE human_loops SET status = 'Stopped' WHERE name = $name AND status IN ('InProgress', 'Stopping');",
            [("$name", humanLoopName)],
            cancellationToken);
        if (changed == 0)
        {
            var loop = await DescribeHumanLoopAsync(humanLoopName, cancellationToken) ?? throw new HumanLoopNotFoundException(humanLoopName);
            if (loop.Status != HumanLoopStatus.Stopped)
            {
                throw new HumanLoopConflictException($"The human loop '{humanLoopName}' is {loop.Status}; only a loop in progress can be stopped.");
            }

            return;
        }

        _events.Publish(new PipelineEvent(PipelineEventKind.HumanLoop, humanLoopName));
    }

    public async Task DeleteHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default)
    {
        var changed = await ExecuteAsync(
            "DELETE FROM human_loops WHERE name = $name AND status NOT IN ('InProgress', 'Stopping') AND (output_key IS NULL OR output_written = 1);",
            [("$name", humanLoopName)],
            cancellationToken);
        if (changed == 0)
        {
            var loop = await DescribeHumanLoopAsync(humanLoopName, cancellationToken) ?? throw new HumanLoopNotFoundException(humanLoopName);
            throw new HumanLoopConflictException($"The human loop '{humanLoopName}' is {loop.Status}; stop it before deleting it.");
        }

        _events.Publish(new PipelineEvent(PipelineEventKind.HumanLoop, humanLoopName));
    }

    public async Task<HumanLoop> AnswerHumanLoopAsync(string humanLoopName, HumanLoopAnswer answer, string workerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        var label = answer.NoneOfTheAbove ? null : answer.Label?.Trim();
        if (!answer.NoneOfTheAbove)
        {
            if (string.IsNullOrEmpty(label))
            {
                throw new ArgumentException("An answer names a label or is none of the above.", nameof(answer));
            }

            ObjectKey.ValidateSegment(label, "label");
        }

        if (answer.RegionProblem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(answer));
        }

        var loop = await DescribeHumanLoopAsync(humanLoopName, cancellationToken) ?? throw new HumanLoopNotFoundException(humanLoopName);
        var now = _time.GetUtcNow();
        var outputKey = HumanLoopOutput.KeyOf(_flowName, humanLoopName, now);

        // A region is written in pixels of the image, as A2I's bounding-box task writes it; its size is read once, here.
        var box = answer.NoneOfTheAbove ? null : answer.BoundingBox;
        (int Width, int Height)? size = box is null ? null : await ImageSizeAsync(loop.Input.ImageKey, cancellationToken);

        // Claim the loop first, so that of two reviewers answering at once exactly one writes an output.
        var claimed = await ExecuteAsync(
            """
            UPDATE human_loops SET status = 'Completed', output_key = $output, output_written = 0,
                answer_label = $label, answer_none = $none, answered_by = $worker, answered_at = $at,
                answer_box = $box, answer_image_width = $width, answer_image_height = $height
            WHERE name = $name AND status = 'InProgress';
            """,
            [
                ("$name", humanLoopName), ("$output", outputKey), ("$label", label), ("$none", label is null ? "1" : "0"), ("$worker", workerId),
                ("$at", Format(now)), ("$box", box?.ToMetadata()), ("$width", size?.Width.ToString(CultureInfo.InvariantCulture)),
                ("$height", size?.Height.ToString(CultureInfo.InvariantCulture)),
            ],
            cancellationToken);
        if (claimed == 0)
        {
            var current = await DescribeHumanLoopAsync(humanLoopName, cancellationToken);
            throw new HumanLoopConflictException(
                $"The human loop '{humanLoopName}' is {current?.Status ?? loop.Status}; only a loop in progress can be answered.");
        }

        var completed = await DescribeHumanLoopAsync(humanLoopName, cancellationToken) ?? throw new HumanLoopNotFoundException(humanLoopName);
        try
        {
            await WriteOutputAsync(completed, size, CancellationToken.None);
        }
        catch (Exception)
        {
            await ExecuteAsync(
                """
                UPDATE human_loops SET status = 'InProgress', output_key = NULL, answer_label = NULL, answer_none = NULL,
                    answered_by = NULL, answered_at = NULL, answer_box = NULL, answer_image_width = NULL, answer_image_height = NULL
                WHERE name = $name AND output_written = 0;
                """,
                [("$name", humanLoopName)],
                CancellationToken.None);
            throw;
        }

        _events.Publish(new PipelineEvent(PipelineEventKind.HumanLoop, humanLoopName));
        return completed;
    }

    /// <summary>Writes the outputs of loops that were answered but whose output a stop interrupted.</summary>
    public async Task RecoverOutputsAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(HumanLoop Loop, (int Width, int Height)? Size)>();
        await using (var connection = await _database.OpenAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT {Columns} FROM human_loops WHERE status = 'Completed' AND output_written = 0;";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((Read(reader), ReadImageSize(reader)));
            }
        }

        foreach (var (loop, size) in pending)
        {
            LogRecovering(_logger, loop.HumanLoopName);
            await WriteOutputAsync(loop, size, cancellationToken);
        }
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => RecoverOutputsAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<(int Width, int Height)> ImageSizeAsync(string imageKey, CancellationToken cancellationToken)
    {
        var image = ImageInspector.Inspect(await _store.ReadAllBytesAsync(imageKey, cancellationToken));
        return (image.Width, image.Height);
    }

    private async Task WriteOutputAsync(HumanLoop loop, (int Width, int Height)? imageSize, CancellationToken cancellationToken)
    {
        var submitted = loop.AnsweredAt ?? _time.GetUtcNow();
        var document = HumanLoopOutput.Create(loop, loop.Answer!, loop.AnsweredBy ?? "unknown", loop.CreationTime, submitted, imageSize);
        await _store.PutBytesAsync(loop.OutputKey!, JsonSerializer.SerializeToUtf8Bytes(document), cancellationToken: cancellationToken);
        await ExecuteAsync("UPDATE human_loops SET output_written = 1 WHERE name = $name;", [("$name", loop.HumanLoopName)], cancellationToken);
    }

    private async Task<HumanLoop?> QuerySingleAsync(string clause, (string Name, string? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM human_loops {clause};";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private async Task<int> ExecuteAsync(string sql, (string Name, string? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private HumanLoop Read(SqliteDataReader reader)
    {
        var name = reader.GetString(1);
        var none = !reader.IsDBNull(8) && reader.GetInt64(8) == 1;
        var label = reader.IsDBNull(7) ? null : reader.GetString(7);
        var box = reader.IsDBNull(11) ? null : BoundingBox.FromMetadata(reader.GetString(11));
        return new HumanLoop
        {
            HumanLoopName = name,
            HumanLoopArn = $"{AccountPrefix}human-loop/{name}",
            FlowDefinitionArn = _flowArn,
            Status = Enum.Parse<HumanLoopStatus>(reader.GetString(2)),
            CreationTime = Parse(reader.GetString(3)),
            Input = JsonSerializer.Deserialize<HumanLoopInput>(reader.GetString(4), Json)!,
            FailureReason = reader.IsDBNull(5) ? null : reader.GetString(5),
            OutputKey = reader.IsDBNull(6) ? null : reader.GetString(6),
            Answer = none ? HumanLoopAnswer.None : label is null ? null : HumanLoopAnswer.ForLabel(label, box),
            AnsweredBy = reader.IsDBNull(9) ? null : reader.GetString(9),
            AnsweredAt = reader.IsDBNull(10) ? null : Parse(reader.GetString(10)),
        };
    }

    private static (int Width, int Height)? ReadImageSize(SqliteDataReader reader) =>
        reader.IsDBNull(12) || reader.IsDBNull(13) ? null : ((int Width, int Height)?)(reader.GetInt32(12), reader.GetInt32(13));

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    [GeneratedRegex("^[a-z0-9](-*[a-z0-9]){0,62}$")]
    private static partial Regex LoopName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing the output of human loop {Name}, answered before the last stop")]
    private static partial void LogRecovering(ILogger logger, string name);
}
