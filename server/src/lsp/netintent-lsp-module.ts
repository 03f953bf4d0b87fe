/**
 * The language server's services: the language core (language/netintent-module.ts) with Langium's
 * LSP services and netintent's editor features on top. Only server/src/main.ts makes them.
 */
import { inject, type Module } from 'langium';
import {
    createDefaultModule,
    createDefaultSharedModule,
    type DefaultSharedModuleContext,
    type LangiumServices,
    type LangiumSharedServices,
    type PartialLangiumServices,
    type PartialLangiumSharedServices
} from 'langium/lsp';
import { NetintentGeneratedModule, NetintentGeneratedSharedModule } from '../language/generated/module.js';
import {
    NetintentModule,
    NetintentSharedModule,
    registerNetintent,
    type NetintentAddedServices,
    type NetintentSharedAddedServices
} from '../language/netintent-module.js';
import { withSafeFiles } from '../language/safe-file-system.js';
import { NetintentCodeActionProvider } from './code-actions.js';
import { NetintentCompletionProvider } from './completion.js';
import { NetintentDocumentUpdateHandler } from './document-update.js';
import { NetintentFormatter } from './formatter.js';
import { NetintentRenameProvider } from './rename.js';
import { NetintentSemanticTokenProvider } from './semantic-tokens.js';
import { NetintentDefinitionProvider, NetintentReferencesProvider } from './twin-navigation.js';
import { NetintentCodeLensProvider, NetintentHoverProvider } from './verdicts-in-editor.js';
import { VerificationScheduler } from './verification.js';

export type NetintentLspSharedServices = LangiumSharedServices & NetintentSharedAddedServices;

/** Services of the language server only. */
export interface NetintentEditorServices {
    editor: {
        Verification: VerificationScheduler;
    };
}

export type NetintentLspServices = LangiumServices &
    NetintentAddedServices &
    NetintentEditorServices & { shared: NetintentLspSharedServices };

const NetintentLspSharedModule: Module<NetintentLspSharedServices, PartialLangiumSharedServices> = {
    lsp: {
        DocumentUpdateHandler: shared => new NetintentDocumentUpdateHandler(shared)
    }
};

const NetintentLspModule: Module<NetintentLspServices, PartialLangiumServices & NetintentEditorServices> = {
    lsp: {
        DefinitionProvider: services => new NetintentDefinitionProvider(services),
        ReferencesProvider: services => new NetintentReferencesProvider(services),
        HoverProvider: services => new NetintentHoverProvider(services),
        CodeLensProvider: services => new NetintentCodeLensProvider(services),
        CodeActionProvider: () => new NetintentCodeActionProvider(),
        CompletionProvider: services => new NetintentCompletionProvider(services),
        SemanticTokenProvider: services => new NetintentSemanticTokenProvider(services),
        Formatter: () => new NetintentFormatter(),
        RenameProvider: services => new NetintentRenameProvider(services)
    },
    editor: {
        Verification: services => new VerificationScheduler(services)
    }
};

export function createNetintentLspServices(context: DefaultSharedModuleContext): {
    shared: NetintentLspSharedServices;
    Netintent: NetintentLspServices;
} {
    const shared = inject(
        createDefaultSharedModule(withSafeFiles(context)),
        NetintentGeneratedSharedModule,
        NetintentSharedModule,
        NetintentLspSharedModule
    );
    const Netintent = inject(
        createDefaultModule({ shared }),
        NetintentGeneratedModule,
        NetintentModule,
        NetintentLspModule
    );
    registerNetintent(shared, Netintent);
    return { shared, Netintent };
}
