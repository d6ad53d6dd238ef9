using OrleansUws.Silo.Hosting;

// The UWS silo: Orleans host of the fleet, layer and slice grains, with telemetry and health endpoints.
// Configuration: Uws:Silo (clustering, Redis, GPU), Uws:Cluster (fleet defaults), Uws:Blas (numerics backend);
// environment variables use "__" for ":" (e.g. Uws__Silo__RedisConnectionString=localhost:6379).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddUwsSilo();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/", () => "OrleansUws silo");
app.Run();
