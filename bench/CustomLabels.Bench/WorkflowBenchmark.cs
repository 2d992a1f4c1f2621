using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Data;
using CustomLabels.Core.Workflow;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Bench;

/// <summary>
/// The embedded workflow runner: the cost of one durable state transition against one raw SQLite write transaction
/// (the least a durable step can cost), and listing the newest page of runs with 10,000 stored, against reading the
/// same number of rows straight from the table.
/// </summary>
internal sealed class WorkflowBenchmark : IBenchmark
{
    private const int ChainLength = 20;
    private const int StoredExecutions = 10_000;
    private const int PageSize = 50;

    public string Name => "workflow";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var data = Path.Combine(context.Scratch, "workflow");
        Directory.CreateDirectory(data);
        var definitionPath = Path.Combine(data, "chain.asl.json");
        await File.WriteAllTextAsync(definitionPath, ChainDefinition(), cancellationToken);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CustomLabels:DataDirectory"] = data,
            ["CustomLabels:Workflow:DefinitionPath"] = definitionPath,
            ["CustomLabels:Workflow:ReconcileIntervalSeconds"] = "3600",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddCustomLabelsCore();

        // The chain is Pass states only: the product's task handlers (and the model they need) play no part.
        builder.Services.RemoveAll<ITaskHandler>();
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            var workflow = host.Services.GetRequiredService<IWorkflowService>();
            var database = host.Services.GetRequiredService<SqliteDatabase>();
            var figures = new List<Figure>();
            figures.AddRange(await TransitionsAsync(workflow, database, context.Quick ? 20 : 200, cancellationToken));
            figures.AddRange(await ListingAsync(workflow, database, context.Quick ? 5 : 30, cancellationToken));
            return figures;
        }
        finally
        {
            await host.StopAsync(cancellationToken);
        }
    }

    private static async Task<IEnumerable<Figure>> TransitionsAsync(IWorkflowService workflow, SqliteDatabase database, int executions, CancellationToken cancellationToken)
    {
        // Warm up both paths (JIT, connection pool, statement cache).
        await RunChainAsync(workflow, 3, cancellationToken);
        await InsertRowsAsync(database, 50, cancellationToken);

        var transitions = executions * (ChainLength + 1);
        var chain = Stopwatch.StartNew();
        await RunChainAsync(workflow, executions, cancellationToken);
        chain.Stop();

        var inserts = Stopwatch.StartNew();
        await InsertRowsAsync(database, transitions, cancellationToken);
        inserts.Stop();

        var perTransition = chain.Elapsed.TotalMicroseconds / transitions;
        var perInsert = inserts.Elapsed.TotalMicroseconds / transitions;
        Console.WriteLine($"  {transitions} transitions: {perTransition:0.0} us each; one raw SQLite insert transaction: {perInsert:0.0} us");
        return
        [
            new Figure("state transition (durable, history + position in one transaction)", perTransition / perInsert, "x raw insert tx", "<= 10", perTransition / perInsert <= 10),
            new Figure("state transition, absolute", perTransition, "us", "<= 2000", perTransition <= 2000),
        ];
    }

    private static async Task<IEnumerable<Figure>> ListingAsync(IWorkflowService workflow, SqliteDatabase database, int repeats, CancellationToken cancellationToken)
    {
        await SeedExecutionsAsync(database, StoredExecutions, cancellationToken);
        var queries = new (string Name, ExecutionQuery Query)[]
        {
            ("all", new ExecutionQuery(MaxResults: PageSize)),
            ("branch=detection", new ExecutionQuery(Branch: WorkflowEvents.Branches.Detection, MaxResults: PageSize)),
            ("status=FAILED", new ExecutionQuery(Status: ExecutionStatus.Failed, MaxResults: PageSize)),
        };

        var figures = new List<Figure>();
        var baseline = await MedianMillisecondsAsync(repeats, () => ReadNewestRowsAsync(database, PageSize, cancellationToken));
        foreach (var (name, query) in queries)
        {
            await workflow.ListExecutionsAsync(query, cancellationToken);
            var page = (await workflow.ListExecutionsAsync(query, cancellationToken)).Executions.Count;
            if (page != PageSize)
            {
                throw new InvalidOperationException($"The {name} page held {page} executions instead of {PageSize}.");
            }

            var ms = await MedianMillisecondsAsync(repeats, () => workflow.ListExecutionsAsync(query, cancellationToken));
            figures.Add(new Figure($"first page of {PageSize} runs ({name}) of {StoredExecutions:N0} stored", ms, "ms", "< 50", ms < 50));
            figures.Add(new Figure($"first page of {PageSize} runs ({name}) vs reading {PageSize} rows raw", ms / baseline, "x raw read", "<= 10", ms / baseline <= 10));
        }

        Console.WriteLine($"  raw read of the newest {PageSize} rows: {baseline:0.000} ms");
        return figures;
    }

    private static async Task RunChainAsync(IWorkflowService workflow, int executions, CancellationToken cancellationToken)
    {
        for (var i = 0; i < executions; i++)
        {
            var started = await workflow.StartExecutionAsync("""{"n": 0}""", cancellationToken: cancellationToken);
            var done = await workflow.WaitForCompletionAsync(started.ExecutionId, TimeSpan.FromMinutes(1), cancellationToken);
            if (done.Summary.Status != ExecutionStatus.Succeeded)
            {
                throw new InvalidOperationException($"The benchmark chain ended {done.Summary.Status}: {done.Error} {done.Cause}");
            }
        }
    }

    private static string ChainDefinition()
    {
        var states = new JsonObject();
        for (var i = 0; i < ChainLength; i++)
        {
            states[$"Step{i}"] = new JsonObject
            {
                ["Type"] = "Pass",
                ["Parameters"] = new JsonObject { ["n.$"] = "States.MathAdd($.n, 1)" },
                ["Next"] = i + 1 < ChainLength ? $"Step{i + 1}" : "Done",
            };
        }

        states["Done"] = new JsonObject { ["Type"] = "Succeed" };
        return new JsonObject { ["StartAt"] = "Step0", ["States"] = states }.ToJsonString();
    }

    private static async Task InsertRowsAsync(SqliteDatabase database, int rows, CancellationToken cancellationToken)
    {
        await using (var setup = await database.OpenAsync(cancellationToken))
        await using (var create = setup.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);";
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        for (var i = 0; i < rows; i++)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO bench_baseline (payload) VALUES ($payload);";
            insert.Parameters.AddWithValue("$payload", """{"n": 1}""");
            await insert.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    internal static async Task SeedExecutionsAsync(SqliteDatabase database, int count, CancellationToken cancellationToken)
    {
        string[] branches = [.. WorkflowEvents.Branches.All];
        string[] statuses = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "RUNNING"];
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO workflow_executions (id, branch, status, input, output, start_date, stop_date, state_entered_at, attempt, last_event_id)
            VALUES ($id, $branch, $status, $input, '{}', $start, $start, $start, 0, 4);
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var branch = insert.Parameters.Add("$branch", SqliteType.Text);
        var status = insert.Parameters.Add("$status", SqliteType.Text);
        var input = insert.Parameters.Add("$input", SqliteType.Text);
        var start = insert.Parameters.Add("$start", SqliteType.Text);
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        for (var i = 0; i < count; i++)
        {
            id.Value = $"seeded-{i:D6}";
            branch.Value = branches[i % branches.Length];
            status.Value = statuses[(i / branches.Length) % statuses.Length];
            input.Value = WorkflowEvents.Scheduled("training").ToJsonString();
            start.Value = at.AddSeconds(i).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ReadNewestRowsAsync(SqliteDatabase database, int rows, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, id, branch, status, start_date, stop_date FROM workflow_executions ORDER BY seq DESC LIMIT $n;";
        command.Parameters.AddWithValue("$n", rows);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var read = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            read += reader.GetString(1).Length > 0 ? 1 : 0;
        }

        if (read != rows)
        {
            throw new InvalidOperationException("The baseline read fewer rows than asked.");
        }
    }

    private static async Task<double> MedianMillisecondsAsync(int repeats, Func<Task> action)
    {
        var samples = new List<double>(repeats);
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }
}
